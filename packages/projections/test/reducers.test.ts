import { describe, expect, it } from "vitest";
import { LedgerReadModels } from "../src/index.js";
import {
  adjusted,
  approved,
  at,
  created,
  extraCharge,
  extraChargeRefunded,
  failed,
  History,
  invoiceIssued,
  paid,
  paymentIdOf,
  refunded,
  unmatchedCharge,
  unmatchedChargeRefunded,
} from "./fixtures.js";
import { project, stopOf } from "./project.js";

describe("payments read model", () => {
  it("PaymentCreated makes a PENDING payment with the package's figures", () => {
    const models = project([created(1, { userId: 7, starsAmount: 25, credits: 250, packageId: "pkg_250" })]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      paymentId: paymentIdOf(1),
      userId: 7,
      status: "PENDING",
      packageId: "pkg_250",
      starsAmount: 25,
      credits: 250,
      createdAt: at("2025-01-01T10:00:00Z"),
      expiresAt: at("2025-01-02T10:00:00Z"),
      invoiceLink: null,
      paidAt: null,
      failedAt: null,
      refundedAt: null,
      telegramPaymentChargeId: null,
      failureReason: null,
      extraCharges: [],
    });
  });

  it("InvoiceIssued and PreCheckoutApproved fill in the link and the approval, status stays PENDING", () => {
    const models = project([created(1), invoiceIssued(1), approved(1)]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      status: "PENDING",
      invoiceLink: "https://t.me/$invoice-1",
      invoiceIssuedAt: at("2025-01-01T10:00:01Z"),
      preCheckoutApprovedAt: at("2025-01-01T10:01:00Z"),
    });
  });

  it("PENDING -> PAID records the charge and the time; the payer is null when the update did not say", () => {
    const models = project([created(1), approved(1), paid(1, { chargeId: "c-1" })]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      status: "PAID",
      paidAt: at("2025-01-01T10:02:00Z"),
      telegramPaymentChargeId: "c-1",
      providerPaymentChargeId: "",
      payerTelegramUserId: null,
    });
  });

  it("PaymentPaid with a payer keeps who paid", () => {
    const models = project([created(1), { ...paid(1), data: { ...paid(1).data, payerTelegramUserId: 4242 } }]);
    expect(models.payments.get(paymentIdOf(1))?.payerTelegramUserId).toBe(4242);
  });

  it.each(["invoice_creation_failed", "amount_mismatch", "currency_mismatch", "expired", "cancelled"] as const)(
    "PENDING -> FAILED keeps the reason %s",
    (reason) => {
      const models = project([created(1), failed(1, reason)]);
      expect(models.payments.get(paymentIdOf(1))).toMatchObject({
        status: "FAILED",
        failureReason: reason,
        failureMessage: `failed: ${reason}`,
        failedAt: at("2025-01-02T10:00:00Z"),
      });
    },
  );

  it("PAID -> REFUNDED by an admin keeps the charge and who refunded", () => {
    const models = project([created(1), paid(1), refunded(1, { admin: "alice" })]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      status: "REFUNDED",
      telegramPaymentChargeId: "charge-1",
      paidAt: at("2025-01-01T10:02:00Z"),
      refundedAt: at("2025-01-03T10:00:00Z"),
      refundedBy: "admin",
      refundedByAdmin: "alice",
    });
  });

  it("PAID -> REFUNDED by Telegram's refunded_payment has no admin", () => {
    const models = project([created(1), paid(1), refunded(1)]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      status: "REFUNDED",
      refundedBy: "telegram",
      refundedByAdmin: null,
    });
  });

  it("an extra charge on a paid payment is listed, then marked refunded, and the status does not move", () => {
    const received = project([created(1), paid(1), extraCharge(1, "c-2")]);
    expect(received.payments.get(paymentIdOf(1))).toMatchObject({
      status: "PAID",
      extraCharges: [
        {
          telegramPaymentChargeId: "c-2",
          reason: "invoice_already_paid",
          telegramUserId: 1001,
          currency: "XTR",
          starsAmount: 10,
          receivedAt: at("2025-01-01T11:00:00Z"),
          refunded: false,
          refundedAt: null,
        },
      ],
    });
    expect(received.payments.withExtraChargesPendingRefund().map((p) => p.paymentId)).toEqual([paymentIdOf(1)]);

    const settled = project([created(1), paid(1), extraCharge(1, "c-2"), extraChargeRefunded(1, "c-2")]);
    expect(settled.payments.get(paymentIdOf(1))?.extraCharges).toMatchObject([
      { telegramPaymentChargeId: "c-2", refunded: true, refundedAt: at("2025-01-01T12:00:00Z") },
    ]);
    expect(settled.payments.withExtraChargesPendingRefund()).toEqual([]);
  });

  it("a mismatched charge fails the payment and is kept aside as an extra charge", () => {
    const models = project([created(1), failed(1, "amount_mismatch"), extraCharge(1, "c-1", "amount_mismatch", 7)]);
    expect(models.payments.get(paymentIdOf(1))).toMatchObject({
      status: "FAILED",
      failureReason: "amount_mismatch",
      telegramPaymentChargeId: null,
      extraCharges: [{ telegramPaymentChargeId: "c-1", reason: "amount_mismatch", starsAmount: 7, refunded: false }],
    });
    expect(models.balances.get(1001).credits).toBe(0);
  });

  it("a view is a copy: changing it does not change the model", () => {
    const models = project([created(1), paid(1), extraCharge(1, "c-2")]);
    const view = models.payments.get(paymentIdOf(1));
    (view?.extraCharges as unknown[]).length = 0;
    expect(models.payments.get(paymentIdOf(1))?.extraCharges).toHaveLength(1);
  });

  it("an unknown payment id reads as undefined", () => {
    expect(project([created(1)]).payments.get(paymentIdOf(2))).toBeUndefined();
  });
});

describe("balances", () => {
  it("PaymentPaid credits data.userId and counts the Stars paid", () => {
    const models = project([created(1, { userId: 5 }), paid(1, { userId: 5, credits: 100, totalAmount: 10 })]);
    expect(models.balances.get(5)).toEqual({ userId: 5, credits: 100, starsPaid: 10, starsRefunded: 0 });
    expect(models.balances.totalCredits()).toBe(100);
    expect(models.balances.userCount()).toBe(1);
  });

  it("PaymentRefunded takes data.credits back and counts the Stars refunded", () => {
    const models = project([created(1, { userId: 5 }), paid(1, { userId: 5 }), refunded(1, { userId: 5 })]);
    expect(models.balances.get(5)).toEqual({ userId: 5, credits: 0, starsPaid: 10, starsRefunded: 10 });
    expect(models.balances.totalCredits()).toBe(0);
  });

  it("CreditsAdjusted adds its delta, positive or negative, even below zero", () => {
    const models = project([adjusted(9, 50), adjusted(9, -80)]);
    expect(models.balances.get(9)).toEqual({ userId: 9, credits: -30, starsPaid: 0, starsRefunded: 0 });
    expect(models.balances.totalCredits()).toBe(-30);
  });

  it("creation, invoices, pre-checkouts, failures, extra and unmatched charges never change a balance", () => {
    const models = project([
      created(1),
      invoiceIssued(1),
      approved(1),
      failed(1, "amount_mismatch"),
      extraCharge(1, "c-1", "amount_mismatch"),
      extraChargeRefunded(1, "c-1"),
      unmatchedCharge("u-1"),
      unmatchedChargeRefunded("u-1"),
    ]);
    expect(models.balances.get(1001)).toEqual({ userId: 1001, credits: 0, starsPaid: 0, starsRefunded: 0 });
    expect(models.balances.has(1001)).toBe(false);
    expect(models.balances.userCount()).toBe(0);
    expect(models.balances.totalCredits()).toBe(0);
  });

  it("balances = paid - refunded + adjustments, per user, and totalCredits sums them", () => {
    const models = project([
      created(1, { userId: 1 }),
      paid(1, { userId: 1, credits: 100 }),
      created(2, { userId: 1, starsAmount: 50, credits: 500 }),
      paid(2, { userId: 1, credits: 500, totalAmount: 50 }),
      refunded(2, { userId: 1, credits: 500, starsAmount: 50 }),
      created(3, { userId: 2 }),
      paid(3, { userId: 2, credits: 100 }),
      adjusted(1, 7),
      adjusted(3, 3),
    ]);
    expect(models.balances.get(1)).toEqual({ userId: 1, credits: 107, starsPaid: 60, starsRefunded: 50 });
    expect(models.balances.get(2).credits).toBe(100);
    expect(models.balances.get(3).credits).toBe(3);
    expect(models.balances.totalCredits()).toBe(210);
    expect(models.balances.userCount()).toBe(3);
  });

  it("grows past its initial capacity without losing a user", () => {
    const events = Array.from({ length: 5000 }, (_, index) => adjusted(index + 1, index + 1));
    const models = project(events);
    expect(models.balances.userCount()).toBe(5000);
    expect(models.balances.get(1).credits).toBe(1);
    expect(models.balances.get(5000).credits).toBe(5000);
    expect(models.balances.totalCredits()).toBe((5000 * 5001) / 2);
  });
});

describe("unmatched charges", () => {
  it("are recorded, then refunded, and listed as pending until then", () => {
    const received = project([unmatchedCharge("u-1", 25)]);
    expect(received.unmatchedCharges.get("u-1")).toEqual({
      telegramPaymentChargeId: "u-1",
      providerPaymentChargeId: "",
      invoicePayload: "not-a-payment",
      currency: "XTR",
      telegramUserId: 2002,
      starsAmount: 25,
      receivedAt: at("2025-01-01T13:00:00Z"),
      refunded: false,
      refundedAt: null,
    });
    expect(received.unmatchedCharges.pendingRefund().map((c) => c.telegramPaymentChargeId)).toEqual(["u-1"]);

    const settled = project([unmatchedCharge("u-1", 25), unmatchedChargeRefunded("u-1", 25)]);
    expect(settled.unmatchedCharges.get("u-1")).toMatchObject({
      refunded: true,
      refundedAt: at("2025-01-01T14:00:00Z"),
    });
    expect(settled.unmatchedCharges.pendingRefund()).toEqual([]);
    expect(settled.unmatchedCharges.count()).toBe(1);
  });
});

describe("what stops a projection", () => {
  it("an event for a payment that was never created", () => {
    expect(stopOf([paid(1)])).toMatchObject({
      model: "payments",
      message: expect.stringMatching(/PaymentPaid for payment .* never created/) as string,
    });
  });

  it("a second PaymentCreated for the same payment", () => {
    expect(stopOf([created(1), created(1)]).message).toMatch(/PaymentCreated again/);
  });

  it("a refund of a payment that was never paid", () => {
    expect(stopOf([created(1), refunded(1)]).message).toMatch(/never paid/);
  });

  it("a refund of an extra charge that was never received", () => {
    expect(stopOf([created(1), paid(1), extraChargeRefunded(1, "c-9")]).message).toMatch(/never received/);
  });

  it("the same extra charge or unmatched charge received twice", () => {
    expect(stopOf([created(1), paid(1), extraCharge(1, "c-2"), extraCharge(1, "c-2")])).toMatchObject({
      model: "payments",
      message: expect.stringMatching(/again/) as string,
    });
    expect(stopOf([unmatchedCharge("u-1"), unmatchedCharge("u-1")])).toMatchObject({
      model: "unmatchedCharges",
      message: expect.stringMatching(/again/) as string,
    });
  });

  it("an event a model cannot apply changes nothing in it and leaves it before that event; the other models take it and go on", () => {
    const history = new History();
    history.add(created(1));
    history.add(paid(1));
    const bad = history.add(paid(2, { userId: 1001 }));
    const later = [history.add(adjusted(1001, 5)), history.add(created(3)), history.add(unmatchedCharge("u-1"))];
    const models = new LedgerReadModels();
    for (const recorded of history.events.slice(0, 2)) models.apply(recorded);
    const before = models.snapshot();
    expect(models.apply(bad)).toBe(true);
    expect(models.snapshot().payments).toEqual(before.payments);
    // Balances apply every event they can: this PaymentPaid moves credits as any other does.
    expect(models.balances.get(1001).credits).toBe(200);
    for (const recorded of later) models.apply(recorded);
    expect(models.position).toBe(6n);
    expect(models.balances.get(1001).credits).toBe(205);
    expect(models.unmatchedCharges.count()).toBe(1);
    expect(models.payments.get(paymentIdOf(3))).toBeUndefined();
    expect(models.modelStatus()).toEqual({
      balances: { position: 6n },
      payments: { position: 2n, stopped: { position: 3n, message: expect.stringMatching(/never created/) as string } },
      unmatchedCharges: { position: 6n },
    });
    expect(models.stoppedAmong(["balances", "unmatchedCharges"])).toBeUndefined();
    expect(models.stoppedAmong(["unmatchedCharges", "payments"])).toMatchObject({ model: "payments", position: 3n });
  });
});

describe("decoding recorded events", () => {
  const apply = (build: (history: History) => void): LedgerReadModels => {
    const history = new History();
    build(history);
    const models = new LedgerReadModels();
    for (const recorded of history.events) models.apply(recorded);
    return models;
  };

  it("another application's event on its own stream is passed over, and the checkpoint moves past it", () => {
    const models = apply((history) => {
      history.raw("orders-1", "OrderPlaced", { orderId: 1 });
      history.add(adjusted(1, 5));
    });
    expect(models.position).toBe(2n);
    expect(models.eventCount).toBe(2);
    expect(models.ignoredEventCount).toBe(1);
    expect(models.balances.get(1).credits).toBe(5);
  });

  /** Which models the history stops, where, and why. */
  const stopsOf = (build: (history: History) => void) =>
    apply(build)
      .stopped()
      .map(({ model, position, message }) => ({ model, position, message }));

  it("an unknown event type on a ledger stream stops the models its stream feeds", () => {
    expect(stopsOf((history) => history.raw(`payment-${paymentIdOf(1)}`, "PaymentTeleported", {}))).toEqual([
      { model: "payments", position: 1n, message: expect.stringMatching(/unknown event type/) as string },
      { model: "balances", position: 1n, message: expect.stringMatching(/unknown event type/) as string },
    ]);
    expect(stopsOf((history) => history.raw("credits-1", "CreditsTeleported", {})).map((s) => s.model)).toEqual([
      "balances",
    ]);
    expect(
      stopsOf((history) => history.raw("unmatched-charge-c1", "ChargeTeleported", {})).map((s) => s.model),
    ).toEqual(["unmatchedCharges"]);
  });

  it("a ledger event type on another stream is not passed over: it stops the models its type feeds", () => {
    expect(stopsOf((history) => history.raw("orders-1", "CreditsAdjusted", adjusted(1, 5).data))).toEqual([
      {
        model: "balances",
        position: 1n,
        message: expect.stringMatching(/is on stream orders-1, expected credits-1/) as string,
      },
    ]);
  });

  it("a ledger event on the wrong ledger stream stops the models its type feeds", () => {
    expect(stopsOf((history) => history.raw(`payment-${paymentIdOf(2)}`, "PaymentCreated", created(1).data))).toEqual([
      { model: "payments", position: 1n, message: expect.stringMatching(/expected payment-/) as string },
    ]);
  });

  it("data that does not match the schema stops the models its type feeds, and the message says where and why", () => {
    const stops = stopsOf((history) => {
      history.raw(`payment-${paymentIdOf(1)}`, "PaymentPaid", { ...paid(1).data, credits: -1 });
      history.add(adjusted(1, 5));
    });
    expect(stops).toEqual([
      { model: "payments", position: 1n, message: expect.stringMatching(/position 1 .*credits/s) as string },
      { model: "balances", position: 1n, message: expect.stringMatching(/position 1 .*credits/s) as string },
    ]);
  });

  it("a schema version this build cannot read stops the models its type feeds", () => {
    const models = apply((history) => {
      history.raw(`credits-1`, "CreditsAdjusted", adjusted(1, 5).data, 99);
      history.add(created(1));
    });
    expect(models.stopped()).toEqual([
      {
        model: "balances",
        position: 1n,
        checkpoint: 0n,
        message: expect.stringMatching(/schema version 99/) as string,
      },
    ]);
    expect(models.payments.count()).toBe(1);
  });

  it("an event at or below the checkpoint is a redelivery: skipped, nothing changes", () => {
    const history = new History();
    const first = history.add(adjusted(1, 5));
    const second = history.add(adjusted(1, 6));
    const models = new LedgerReadModels();
    expect(models.apply(first)).toBe(true);
    expect(models.apply(second)).toBe(true);
    expect(models.apply(first)).toBe(false);
    expect(models.apply(second)).toBe(false);
    expect(models.balances.get(1).credits).toBe(11);
    expect(models.eventCount).toBe(2);
  });
});
