import { describe, expect, it } from "vitest";
import {
  evolvePayment,
  initialPayment,
  approvedPaymentGraceMs,
  paymentDecider,
  preCheckoutErrorMessages,
  type PaymentCommand,
  type PaymentEvent,
} from "../src/index.js";
import { given } from "../src/testing/index.js";
import {
  paymentId,
  userId,
  t0,
  t1,
  afterExpiry,
  expiresAt,
  created,
  issued,
  approved,
  paid,
  failed,
  refunded,
  extra,
  create,
  preCheckout,
  successfulPayment,
  adminRefund,
  telegramRefund,
} from "./payment-fixtures.js";

describe("creating a payment", () => {
  it("records PaymentCreated on an empty stream", () => {
    given(paymentDecider, []).when(create).then([created]);
  });
  it("the same creation again (a retried request) changes nothing", () => {
    given(paymentDecider, [created]).when(create).then([]);
  });
  it("a different creation under the same id is refused", () => {
    given(paymentDecider, [created])
      .when({ type: "CreatePayment", data: { ...create.data, packageId: "pkg_250", starsAmount: 25, credits: 250 } })
      .thenFails({ type: "PaymentAlreadyExists" });
  });
});

describe("invoices", () => {
  it("records the issued invoice link once", () => {
    given(paymentDecider, [created])
      .when({ type: "RecordInvoiceIssued", data: { invoiceLink: "https://t.me/$inv", now: t0 } })
      .then([issued]);
    given(paymentDecider, [created, issued])
      .when({ type: "RecordInvoiceIssued", data: { invoiceLink: "https://t.me/$inv", now: t0 } })
      .then([]);
  });
  it("a failed invoice creation fails the payment with invoice_creation_failed", () => {
    given(paymentDecider, [created])
      .when({ type: "RecordInvoiceCreationFailed", data: { message: "Bad Request: bot blocked", now: t1 } })
      .then([failed("invoice_creation_failed", "Bad Request: bot blocked")]);
  });
  it("an invoice for a missing payment is refused", () => {
    given(paymentDecider, [])
      .when({ type: "RecordInvoiceIssued", data: { invoiceLink: "x", now: t0 } })
      .thenFails({ type: "PaymentNotFound", message: "Payment not found" });
  });
});

describe("pre-checkout", () => {
  it("approves the invoiced amount in XTR from the payment's own user", () => {
    given(paymentDecider, [created, issued]).when(preCheckout()).then([approved]);
  });
  it("the same query again changes nothing and is still approved", () => {
    given(paymentDecider, [created, approved]).when(preCheckout()).then([]);
  });
  it("a new query for a pending payment is approved again (the user retried)", () => {
    const second = given(paymentDecider, [created, approved]).when(preCheckout({ queryId: "q2" }));
    second.then([{ type: "PreCheckoutApproved", data: { ...approved.data, queryId: "q2" } }]);
  });
  const refusals: [string, PaymentEvent[], PaymentCommand, keyof typeof preCheckoutErrorMessages][] = [
    ["a missing payment", [], preCheckout(), "payment_not_found"],
    ["a paid payment", [created, paid()], preCheckout(), "already_paid"],
    ["a refunded payment", [created, paid(), refunded("admin")], preCheckout(), "already_paid"],
    ["a failed payment", [created, failed("invoice_creation_failed", "x")], preCheckout(), "not_pending"],
    ["a wrong amount", [created], preCheckout({ totalAmount: 9 }), "amount_mismatch"],
    ["another currency", [created], preCheckout({ currency: "USD" }), "currency_mismatch"],
    ["another user", [created], preCheckout({ telegramUserId: 42 }), "other_user"],
    ["an expired invoice", [created], preCheckout({ now: afterExpiry }), "expired"],
    ["an invoice whose expiry is recorded", [created, failed("expired", "x")], preCheckout(), "expired"],
  ];
  for (const [what, history, command, reason] of refusals) {
    it(`refuses ${what} with a short user-facing message`, () => {
      given(paymentDecider, history)
        .when(command)
        .thenFails({ type: "PreCheckoutRefused", reason, errorMessage: preCheckoutErrorMessages[reason] });
    });
  }
  it("another user may pay when the same-user rule is off", () => {
    given(paymentDecider, [created])
      .when(preCheckout({ telegramUserId: 42, requireSameUser: false }))
      .then([{ type: "PreCheckoutApproved", data: { ...approved.data, telegramUserId: 42 } }]);
  });
});

describe("successful payment", () => {
  it("credits a pending payment once", () => {
    given(paymentDecider, [created, approved]).when(successfulPayment()).then([paid()]);
  });
  it("is accepted without a pre-checkout (the runbook's simulated webhook)", () => {
    given(paymentDecider, [created])
      .when(successfulPayment({ telegramUserId: undefined }))
      .then([paid("c1", null)]);
  });
  it("records who paid, so a refund goes to the payer", () => {
    const state = given(paymentDecider, [created])
      .when(successfulPayment({ telegramUserId: 99 }))
      .state();
    expect(state.status !== "NONE" && state.payerUserId).toBe(99);
    const simulated = given(paymentDecider, [created])
      .when(successfulPayment({ telegramUserId: undefined }))
      .state();
    expect(simulated.status !== "NONE" && simulated.payerUserId).toBe(userId);
  });
  it("a second delivery of the same charge credits nothing", () => {
    given(paymentDecider, [created, approved, paid("c1")])
      .when(successfulPayment({ telegramPaymentChargeId: "c1" }))
      .then([]);
  });
  it("a different charge on a paid invoice is kept aside to refund, never credited", () => {
    given(paymentDecider, [created, paid("c1")])
      .when(successfulPayment({ telegramPaymentChargeId: "c2", telegramUserId: 77 }))
      .then([extra("c2", "invoice_already_paid", 10, "XTR", 77)]);
  });
  it("the same extra charge delivered again changes nothing", () => {
    given(paymentDecider, [created, paid("c1"), extra("c2", "invoice_already_paid")])
      .when(successfulPayment({ telegramPaymentChargeId: "c2" }))
      .then([]);
  });
  it("a charge of the wrong amount fails the payment and is kept aside to refund", () => {
    given(paymentDecider, [created])
      .when(successfulPayment({ totalAmount: 11 }))
      .then([extra("c1", "amount_mismatch", 11), failed("amount_mismatch", "Charged 11 Stars, expected 10")]);
  });
  it("a mismatched charge folds to the same state in either order (older streams hold the failure first)", () => {
    const mismatch = [extra("c1", "amount_mismatch", 11), failed("amount_mismatch", "Charged 11 Stars, expected 10")];
    const fold = (events: readonly PaymentEvent[]) => events.reduce(evolvePayment, initialPayment);
    expect(fold([created, ...mismatch])).toEqual(fold([created, ...[...mismatch].reverse()]));
  });
  it("a charge in another currency fails the payment and is kept aside to refund", () => {
    const decided = given(paymentDecider, [created])
      .when(successfulPayment({ currency: "USD" }))
      .state();
    expect(decided.status).toBe("FAILED");
    if (decided.status !== "NONE")
      expect(decided.uncreditedCharges.get("c1")).toEqual({ totalAmount: 10, refunded: false });
  });
  it("a charge on a failed payment is kept aside to refund", () => {
    given(paymentDecider, [created, failed("expired", "x")])
      .when(successfulPayment())
      .then([extra("c1", "payment_not_payable")]);
  });
  it("a charge for a missing payment is PaymentNotFound (the ledger routes it to an unmatched-charge stream)", () => {
    given(paymentDecider, []).when(successfulPayment()).thenFails({ type: "PaymentNotFound" });
  });
  it("a simulated charge without `from` refunds to the payment's owner", () => {
    given(paymentDecider, [created, paid("c1")])
      .when(successfulPayment({ telegramPaymentChargeId: "c2", telegramUserId: undefined }))
      .then([extra("c2", "invoice_already_paid")]);
  });
});

describe("refunds", () => {
  it("an admin refunds a paid payment", () => {
    given(paymentDecider, [created, paid()])
      .when(adminRefund)
      .then([refunded("admin")]);
  });
  it("an admin refund of a refunded payment is refused", () => {
    given(paymentDecider, [created, paid(), refunded("admin")])
      .when(adminRefund)
      .thenFails({ type: "PaymentAlreadyRefunded" });
  });
  it("an admin refund of an unpaid payment is refused", () => {
    given(paymentDecider, [created]).when(adminRefund).thenFails({ type: "PaymentNotPaid", status: "PENDING" });
  });
  it("Telegram's refunded_payment refunds a paid payment, once", () => {
    given(paymentDecider, [created, paid()])
      .when(telegramRefund())
      .then([refunded("telegram")]);
    given(paymentDecider, [created, paid(), refunded("admin")])
      .when(telegramRefund())
      .then([]);
  });
  it("Telegram's refunded_payment of an extra charge marks that charge refunded, once", () => {
    const history = [created, paid("c1"), extra("c2", "invoice_already_paid")];
    given(paymentDecider, history)
      .when(telegramRefund("c2"))
      .then([
        {
          type: "ExtraChargeRefunded",
          data: { paymentId, telegramPaymentChargeId: "c2", totalAmount: 10, refundedAt: t1 },
        },
      ]);
    given(paymentDecider, [
      ...history,
      {
        type: "ExtraChargeRefunded" as const,
        data: { paymentId, telegramPaymentChargeId: "c2", totalAmount: 10, refundedAt: t1 },
      },
    ])
      .when({ type: "RecordExtraChargeRefunded", data: { telegramPaymentChargeId: "c2", now: t1 } })
      .then([]);
  });
  it("a refund of a charge the payment never had is UnknownCharge", () => {
    given(paymentDecider, [created, paid("c1")])
      .when(telegramRefund("zzz"))
      .thenFails({ type: "UnknownCharge" });
  });
});

const expiredAt = (failedAt: string): PaymentEvent => ({
  type: "PaymentFailed",
  data: { paymentId, reason: "expired", message: "The invoice expired before it was paid", failedAt },
});

describe("expiry and failure", () => {
  it("a pending payment expires only after its expiry time", () => {
    given(paymentDecider, [created])
      .when({ type: "ExpirePayment", data: { now: t1 } })
      .thenFails({ type: "PaymentNotExpired" });
    given(paymentDecider, [created])
      .when({ type: "ExpirePayment", data: { now: afterExpiry } })
      .then([expiredAt(afterExpiry)]);
  });
  it("a payment past expiry whose pre-checkout was approved waits out the grace for its successful_payment", () => {
    const lateApproval = { ...approved, data: { ...approved.data, approvedAt: expiresAt } };
    const graceOver = new Date(Date.parse(expiresAt) + approvedPaymentGraceMs).toISOString();
    given(paymentDecider, [created, lateApproval])
      .when({ type: "ExpirePayment", data: { now: afterExpiry } })
      .thenFails({ type: "PaymentNotExpired" });
    given(paymentDecider, [created, lateApproval])
      .when({ type: "ExpirePayment", data: { now: graceOver } })
      .then([expiredAt(graceOver)]);
    // An approval long before expiry gives no grace past it.
    given(paymentDecider, [created, approved])
      .when({ type: "ExpirePayment", data: { now: afterExpiry } })
      .then([expiredAt(afterExpiry)]);
  });
  it("expiring a payment already expired changes nothing (another sweeper was first)", () => {
    given(paymentDecider, [created, failed("expired", "x")])
      .when({ type: "ExpirePayment", data: { now: afterExpiry } })
      .then([]);
  });
  it("expiring a paid payment changes nothing", () => {
    given(paymentDecider, [created, paid()])
      .when({ type: "ExpirePayment", data: { now: afterExpiry } })
      .then([]);
  });
  it("failing a pending payment records the reason; a paid one cannot fail", () => {
    given(paymentDecider, [created])
      .when({ type: "FailPayment", data: { reason: "cancelled", message: "user cancelled", now: t1 } })
      .then([
        { type: "PaymentFailed", data: { paymentId, reason: "cancelled", message: "user cancelled", failedAt: t1 } },
      ]);
    given(paymentDecider, [created, paid()])
      .when({ type: "FailPayment", data: { reason: "cancelled", message: "x", now: t1 } })
      .thenFails({ type: "PaymentNotPending", status: "PAID" });
  });
});
