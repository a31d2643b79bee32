import { describe, expect, it } from "vitest";
import {
  at,
  created,
  extraCharge,
  extraChargeRefunded,
  paid,
  paymentIdOf,
  refunded,
  unmatchedCharge,
  unmatchedChargeRefunded,
} from "./fixtures.js";
import { project } from "./project.js";

describe("the charges query: every charge the ledger recorded, for reconciliation", () => {
  const models = project([
    created(1, { userId: 11, createdAt: at("2025-01-01T10:00:00Z") }),
    // Created earlier than payment 1 but paid later: charges come in the order they were recorded, not created.
    created(2, { userId: 12, createdAt: at("2025-01-01T09:00:00Z"), starsAmount: 25, credits: 250 }),
    unmatchedCharge("u-1", 25),
    paid(1, { userId: 11, chargeId: "ch-1" }),
    paid(2, { userId: 12, chargeId: "ch-2", totalAmount: 25, credits: 250 }),
    extraCharge(1, "x-1", "invoice_already_paid", 10),
    extraChargeRefunded(1, "x-1"),
    refunded(2, { userId: 12, chargeId: "ch-2", starsAmount: 25, credits: 250 }),
    unmatchedChargeRefunded("u-2", 5),
  ]);

  it("lists credited, extra and unmatched charges in the order the ledger first recorded them", () => {
    expect(models.charges().map((c) => [c.kind, c.telegramPaymentChargeId, c.seq])).toEqual([
      ["unmatched", "u-1", 3],
      ["payment", "ch-1", 4],
      ["payment", "ch-2", 5],
      ["extra", "x-1", 6],
      ["unmatched", "u-2", 9],
    ]);
  });

  it("a payment's charge carries what was paid and credited, its owner and payer, and whether it was refunded", () => {
    const byId = new Map(models.charges().map((c) => [c.telegramPaymentChargeId, c]));
    expect(byId.get("ch-2")).toEqual({
      kind: "payment",
      telegramPaymentChargeId: "ch-2",
      paymentId: paymentIdOf(2),
      invoicePayload: paymentIdOf(2),
      starsAmount: 25,
      credits: 250,
      ownerUserId: 12,
      payerUserId: null,
      reason: null,
      refunded: true,
      seq: 5,
    });
    expect(byId.get("ch-1")).toMatchObject({ refunded: false, credits: 100, ownerUserId: 11 });
    expect(byId.get("x-1")).toEqual({
      kind: "extra",
      telegramPaymentChargeId: "x-1",
      paymentId: paymentIdOf(1),
      invoicePayload: paymentIdOf(1),
      starsAmount: 10,
      credits: 0,
      ownerUserId: 11,
      payerUserId: 1001,
      reason: "invoice_already_paid",
      refunded: true,
      seq: 6,
    });
  });

  it("an unmatched charge has no payment; one seen only through its refund has no payload or payer", () => {
    const byId = new Map(models.charges().map((c) => [c.telegramPaymentChargeId, c]));
    expect(byId.get("u-1")).toMatchObject({
      paymentId: null,
      invoicePayload: "not-a-payment",
      starsAmount: 25,
      ownerUserId: null,
      payerUserId: 2002,
      refunded: false,
    });
    expect(byId.get("u-2")).toMatchObject({ invoicePayload: null, payerUserId: null, starsAmount: 5, refunded: true });
  });

  it("a payment not paid yet has no charge", () => {
    expect(project([created(3)]).charges()).toEqual([]);
  });
});
