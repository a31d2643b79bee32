import { describe, expect, it } from "vitest";
import { at, chargeConflict, created, paid, paymentIdOf, refunded } from "./fixtures.js";
import { project, stopOf } from "./project.js";

describe("ledger-wide keys in the payments read model", () => {
  it("a charge another payment recorded first is shown on this payment, and moves no status, credit or revenue", () => {
    const without = project([created(1), paid(1, { chargeId: "x" }), created(2)]);
    const models = project([created(1), paid(1, { chargeId: "x" }), created(2), chargeConflict(2, "x")]);
    expect(models.payments.get(paymentIdOf(2))).toMatchObject({
      status: "PENDING",
      telegramPaymentChargeId: null,
      extraCharges: [],
      conflictingCharges: [
        {
          telegramPaymentChargeId: "x",
          telegramUserId: 1001,
          currency: "XTR",
          starsAmount: 10,
          receivedAt: at("2025-01-01T11:30:00Z"),
        },
      ],
    });
    expect(models.balances.get(1001)).toEqual(without.balances.get(1001));
    expect(models.stats()).toEqual(without.stats());
    expect(models.payments.withExtraChargesPendingRefund()).toEqual([]);
  });

  it("a second ChargeConflictRecorded for one charge on one payment is a history the ledger cannot write", () => {
    const stop = stopOf([created(1), chargeConflict(1, "x"), chargeConflict(1, "x")]);
    expect(stop.model).toBe("payments");
    expect(stop.message).toContain("ChargeConflictRecorded again for charge x");
  });

  it("an admin refund's Idempotency-Key is on the view and finds the payment", () => {
    const models = project([created(1), paid(1), refunded(1, { admin: "alice", idempotencyKey: "ticket-42" })]);
    expect(models.payments.get(paymentIdOf(1))?.refundIdempotencyKey).toBe("ticket-42");
    expect(models.payments.refundedWithIdempotencyKey("ticket-42")?.paymentId).toBe(paymentIdOf(1));
    expect(models.payments.refundedWithIdempotencyKey("ticket-43")).toBeUndefined();
  });
});
