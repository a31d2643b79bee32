import { err, ok, type Result } from "neverthrow";
import type { Decider } from "./decider.js";
import { eventTypesOf, PaymentEvent, type EventOf, type FailureReason, type UncreditedChargeReason } from "./events.js";
import { adminRefundKey, chargeKey } from "./natural-keys.js";
import type { PaymentCommand, PaymentCommandOf } from "./payment-commands.js";
import { paymentNotFound, preCheckoutRefused, type PaymentError } from "./payment-errors.js";
import { refunded, refundPayment, requestRefund } from "./payment-refunds.js";
import { evolvePayment, initialPayment, knowsCharge, type ExistingPayment, type Payment } from "./payment-state.js";

export {
  evolvePayment,
  initialPayment,
  knowsCharge,
  type ExistingPayment,
  type Payment,
  type UncreditedCharge,
} from "./payment-state.js";

/** Telegram Stars: the only currency an invoice here is issued in. */
export const starsCurrency = "XTR" as const;

type Decision = Result<PaymentEvent[], PaymentError>;
const none: Decision = ok([]);

const createPayment = (command: PaymentCommandOf<"CreatePayment">["data"], state: Payment): Decision => {
  if (state.status !== "NONE") {
    const same =
      state.userId === command.userId &&
      state.packageId === command.packageId &&
      state.starsAmount === command.starsAmount &&
      state.credits === command.credits;
    // The same creation again (a retried request with the same idempotency key) changes nothing.
    return same
      ? none
      : err({
          type: "PaymentAlreadyExists",
          message: `Payment ${command.paymentId} already exists with different details`,
        });
  }
  return ok([
    {
      type: "PaymentCreated",
      data: {
        paymentId: command.paymentId,
        userId: command.userId,
        packageId: command.packageId,
        starsAmount: command.starsAmount,
        credits: command.credits,
        createdAt: command.now,
        expiresAt: command.expiresAt,
      },
    },
  ]);
};

const failed = (
  payment: ExistingPayment,
  reason: FailureReason,
  message: string,
  now: string,
): EventOf<"PaymentFailed"> => ({
  type: "PaymentFailed",
  data: { paymentId: payment.paymentId, reason, message, failedAt: now },
});

const notPending = (payment: ExistingPayment): PaymentError => ({
  type: "PaymentNotPending",
  status: payment.status,
  message: `Payment is ${payment.status}, not PENDING`,
});

const recordInvoiceIssued = (command: PaymentCommandOf<"RecordInvoiceIssued">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.invoiceLink === command.invoiceLink) return none;
  if (state.status !== "PENDING" || state.invoiceLink !== undefined) return err(notPending(state));
  return ok([
    {
      type: "InvoiceIssued",
      data: { paymentId: state.paymentId, invoiceLink: command.invoiceLink, issuedAt: command.now },
    },
  ]);
};

const recordInvoiceCreationFailed = (
  command: PaymentCommandOf<"RecordInvoiceCreationFailed">["data"],
  state: Payment,
): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.status === "FAILED") return none;
  if (state.status !== "PENDING") return err(notPending(state));
  return ok([failed(state, "invoice_creation_failed", command.message, command.now)]);
};

const answerPreCheckout = (command: PaymentCommandOf<"AnswerPreCheckout">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(preCheckoutRefused("payment_not_found"));
  if (state.status === "PAID" || state.status === "REFUNDED") return err(preCheckoutRefused("already_paid"));
  if (state.status === "FAILED" && state.failureReason === "expired") return err(preCheckoutRefused("expired"));
  if (state.status !== "PENDING") return err(preCheckoutRefused("not_pending"));
  if (command.currency !== starsCurrency) return err(preCheckoutRefused("currency_mismatch"));
  if (command.totalAmount !== state.starsAmount) return err(preCheckoutRefused("amount_mismatch"));
  if (command.requireSameUser && command.telegramUserId !== state.userId) return err(preCheckoutRefused("other_user"));
  if (Date.parse(command.now) >= Date.parse(state.expiresAt)) return err(preCheckoutRefused("expired"));
  if (state.approvedQueryIds.has(command.queryId)) return none;
  return ok([
    {
      type: "PreCheckoutApproved",
      data: {
        paymentId: state.paymentId,
        queryId: command.queryId,
        telegramUserId: command.telegramUserId,
        totalAmount: command.totalAmount,
        approvedAt: command.now,
      },
    },
  ]);
};

const uncredited = (
  payment: ExistingPayment,
  reason: UncreditedChargeReason,
  command: PaymentCommandOf<"RecordSuccessfulPayment">["data"],
): EventOf<"ExtraChargeReceived"> => ({
  type: "ExtraChargeReceived",
  data: {
    paymentId: payment.paymentId,
    reason,
    telegramPaymentChargeId: command.telegramPaymentChargeId,
    providerPaymentChargeId: command.providerPaymentChargeId,
    // refundStarPayment needs the payer; the runbook's simulated update has no `from`, so fall back to the owner.
    telegramUserId: command.telegramUserId ?? payment.userId,
    currency: command.currency,
    totalAmount: command.totalAmount,
    receivedAt: command.now,
  },
});

const recordSuccessfulPayment = (
  command: PaymentCommandOf<"RecordSuccessfulPayment">["data"],
  state: Payment,
): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  const chargeId = command.telegramPaymentChargeId;
  // Idempotency key: the charge id. The same charge delivered again changes nothing.
  if (knowsCharge(state, chargeId)) return none;
  switch (state.status) {
    case "PAID":
    case "REFUNDED":
      // Telegram lets an invoice be paid more than once: a second charge is kept aside and refunded, never credited.
      return ok([uncredited(state, "invoice_already_paid", command)]);
    case "FAILED":
      return ok([uncredited(state, "payment_not_payable", command)]);
    case "PENDING":
      if (command.currency !== starsCurrency) {
        const message = `Charged ${command.totalAmount} ${command.currency}, expected ${state.starsAmount} ${starsCurrency}`;
        // The charge-claiming event first, so a batch retried by a racer is recognised by its first id.
        return ok([
          uncredited(state, "currency_mismatch", command),
          failed(state, "currency_mismatch", message, command.now),
        ]);
      }
      if (command.totalAmount !== state.starsAmount) {
        const message = `Charged ${command.totalAmount} Stars, expected ${state.starsAmount}`;
        return ok([
          uncredited(state, "amount_mismatch", command),
          failed(state, "amount_mismatch", message, command.now),
        ]);
      }
      return ok([
        {
          type: "PaymentPaid",
          data: {
            paymentId: state.paymentId,
            userId: state.userId,
            telegramPaymentChargeId: chargeId,
            providerPaymentChargeId: command.providerPaymentChargeId,
            totalAmount: command.totalAmount,
            credits: state.credits,
            ...(command.telegramUserId === undefined ? {} : { payerTelegramUserId: command.telegramUserId }),
            paidAt: command.now,
          },
        },
      ]);
  }
};

/** The caller (StarsLedger) learned from the store that another stream recorded this charge: note it, credit nothing. */
const recordChargeConflict = (command: PaymentCommandOf<"RecordChargeConflict">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (knowsCharge(state, command.telegramPaymentChargeId)) return none;
  const { now, telegramUserId, ...charge } = command;
  return ok([
    {
      type: "ChargeConflictRecorded",
      data: {
        paymentId: state.paymentId,
        ...charge,
        ...(telegramUserId === undefined ? {} : { telegramUserId }),
        receivedAt: now,
      },
    },
  ]);
};

const extraChargeRefunded = (payment: ExistingPayment, chargeId: string, now: string): Decision => {
  const charge = payment.uncreditedCharges.get(chargeId);
  if (charge === undefined) {
    return err({
      type: "UnknownCharge",
      telegramPaymentChargeId: chargeId,
      message: `No charge ${chargeId} on this payment`,
    });
  }
  if (charge.refunded) return none;
  return ok([
    {
      type: "ExtraChargeRefunded",
      data: {
        paymentId: payment.paymentId,
        telegramPaymentChargeId: chargeId,
        totalAmount: charge.totalAmount,
        refundedAt: now,
      },
    },
  ]);
};

const recordRefundedPayment = (
  command: PaymentCommandOf<"RecordRefundedPayment">["data"],
  state: Payment,
): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.paidChargeId === command.telegramPaymentChargeId) {
    return state.status === "REFUNDED" ? none : ok([refunded(state, "telegram", command.now)]);
  }
  return extraChargeRefunded(state, command.telegramPaymentChargeId, command.now);
};

/**
 * How long after an approved pre-checkout a payment past its expiresAt is still left PENDING for its
 * successful_payment, which Telegram sends once it has charged the user (seconds, normally).
 */
export const approvedPaymentGraceMs = 60 * 60 * 1000;

const expirePayment = (command: PaymentCommandOf<"ExpirePayment">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.status !== "PENDING") return none;
  const nowMs = Date.parse(command.now);
  if (nowMs < Date.parse(state.expiresAt)) {
    return err({ type: "PaymentNotExpired", message: `Payment expires at ${state.expiresAt}` });
  }
  // An approved pre-checkout means Telegram may be charging the user right now: expiring it would refund them.
  if (state.lastApprovedAt !== undefined && nowMs < Date.parse(state.lastApprovedAt) + approvedPaymentGraceMs) {
    const until = new Date(Date.parse(state.lastApprovedAt) + approvedPaymentGraceMs).toISOString();
    return err({
      type: "PaymentNotExpired",
      message: `A pre-checkout was approved at ${state.lastApprovedAt}; its successful_payment may arrive until ${until}`,
    });
  }
  return ok([failed(state, "expired", "The invoice expired before it was paid", command.now)]);
};

const failPayment = (command: PaymentCommandOf<"FailPayment">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.status === "FAILED") return none;
  if (state.status !== "PENDING") return err(notPending(state));
  return ok([failed(state, command.reason, command.message, command.now)]);
};

export const decidePayment = (command: PaymentCommand, state: Payment): Decision => {
  switch (command.type) {
    case "CreatePayment":
      return createPayment(command.data, state);
    case "RecordInvoiceIssued":
      return recordInvoiceIssued(command.data, state);
    case "RecordInvoiceCreationFailed":
      return recordInvoiceCreationFailed(command.data, state);
    case "AnswerPreCheckout":
      return answerPreCheckout(command.data, state);
    case "RecordSuccessfulPayment":
      return recordSuccessfulPayment(command.data, state);
    case "RecordChargeConflict":
      return recordChargeConflict(command.data, state);
    case "RecordRefundedPayment":
      return recordRefundedPayment(command.data, state);
    case "RequestRefund":
      return requestRefund(command.data, state);
    case "RefundPayment":
      return refundPayment(command.data, state);
    case "RecordExtraChargeRefunded":
      if (state.status === "NONE") return err(paymentNotFound());
      return extraChargeRefunded(state, command.data.telegramPaymentChargeId, command.data.now);
    case "ExpirePayment":
      return expirePayment(command.data, state);
    case "FailPayment":
      return failPayment(command.data, state);
  }
};

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, Payment, PaymentError> = {
  initialState: initialPayment,
  evolve: evolvePayment,
  decide: decidePayment,
  eventTypes: eventTypesOf(PaymentEvent),
  naturalKeyOf: (event) => {
    switch (event.type) {
      case "PaymentPaid":
      case "ExtraChargeReceived":
        return chargeKey(event.data.telegramPaymentChargeId);
      // Claimed by the request, before Telegram is asked. (A PaymentRefunded recorded before RefundRequested existed
      // holds the same key under the same id, so an old key stays taken.)
      case "RefundRequested":
        return event.data.idempotencyKey === undefined ? undefined : adminRefundKey(event.data.idempotencyKey);
      default:
        return undefined;
    }
  },
};
