import assert from "node:assert/strict";
import { err, ok, type Result } from "neverthrow";
import type { Decider } from "./decider.js";
import type { EventOf, PaymentEvent, UncreditedChargeReason } from "./events.js";
import type { FailureReason } from "./events.js";
import type { PaymentCommand, PaymentCommandOf } from "./payment-commands.js";
import { paymentNotFound, preCheckoutRefused, type PaymentError, type PaymentStatus } from "./payment-errors.js";

export const starsCurrency = "XTR";

export type UncreditedCharge = { readonly totalAmount: number; readonly refunded: boolean };

export type ExistingPayment = {
  readonly status: PaymentStatus;
  readonly paymentId: string;
  readonly userId: number;
  readonly packageId: string;
  readonly starsAmount: number;
  readonly credits: number;
  readonly expiresAt: string;
  readonly invoiceLink: string | undefined;
  readonly approvedQueryIds: ReadonlySet<string>;
  /** The one credited charge: set exactly when status is PAID or REFUNDED. */
  readonly paidChargeId: string | undefined;
  /** Who paid that charge (refunds go to the payer); the owner when the update did not say. */
  readonly payerUserId: number | undefined;
  /** Charges taken but never credited (extra, mismatched, late): each must be refunded. */
  readonly uncreditedCharges: ReadonlyMap<string, UncreditedCharge>;
  readonly failureReason: FailureReason | undefined;
};

export type Payment = { readonly status: "NONE" } | ExistingPayment;

export const initialPayment: Payment = { status: "NONE" };

const existing = (state: Payment): ExistingPayment => {
  assert.ok(state.status !== "NONE", "an event other than PaymentCreated on an empty payment stream");
  return state;
};

export const evolvePayment = (state: Payment, event: PaymentEvent): Payment => {
  switch (event.type) {
    case "PaymentCreated":
      return {
        status: "PENDING",
        paymentId: event.data.paymentId,
        userId: event.data.userId,
        packageId: event.data.packageId,
        starsAmount: event.data.starsAmount,
        credits: event.data.credits,
        expiresAt: event.data.expiresAt,
        invoiceLink: undefined,
        approvedQueryIds: new Set(),
        paidChargeId: undefined,
        payerUserId: undefined,
        uncreditedCharges: new Map(),
        failureReason: undefined,
      };
    case "InvoiceIssued":
      return { ...existing(state), invoiceLink: event.data.invoiceLink };
    case "PreCheckoutApproved": {
      const payment = existing(state);
      return { ...payment, approvedQueryIds: new Set([...payment.approvedQueryIds, event.data.queryId]) };
    }
    case "PaymentPaid":
      return {
        ...existing(state),
        status: "PAID",
        paidChargeId: event.data.telegramPaymentChargeId,
        payerUserId: event.data.payerTelegramUserId ?? existing(state).userId,
      };
    case "PaymentFailed":
      return { ...existing(state), status: "FAILED", failureReason: event.data.reason };
    case "PaymentRefunded": {
      const payment = existing(state);
      assert.ok(payment.paidChargeId !== undefined, "a refund of a payment that was never paid");
      return { ...payment, status: "REFUNDED" };
    }
    case "ExtraChargeReceived": {
      const payment = existing(state);
      const charges = new Map(payment.uncreditedCharges);
      charges.set(event.data.telegramPaymentChargeId, { totalAmount: event.data.totalAmount, refunded: false });
      return { ...payment, uncreditedCharges: charges };
    }
    case "ExtraChargeRefunded": {
      const payment = existing(state);
      const charge = payment.uncreditedCharges.get(event.data.telegramPaymentChargeId);
      assert.ok(charge !== undefined, "a refund of an extra charge that was never received");
      const charges = new Map(payment.uncreditedCharges);
      charges.set(event.data.telegramPaymentChargeId, { ...charge, refunded: true });
      return { ...payment, uncreditedCharges: charges };
    }
  }
};

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
  if (state.paidChargeId === chargeId || state.uncreditedCharges.has(chargeId)) return none;
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
        return ok([
          failed(state, "currency_mismatch", message, command.now),
          uncredited(state, "currency_mismatch", command),
        ]);
      }
      if (command.totalAmount !== state.starsAmount) {
        const message = `Charged ${command.totalAmount} Stars, expected ${state.starsAmount}`;
        return ok([
          failed(state, "amount_mismatch", message, command.now),
          uncredited(state, "amount_mismatch", command),
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

const refunded = (
  payment: ExistingPayment,
  refundedBy: "admin" | "telegram",
  now: string,
  admin?: string,
): EventOf<"PaymentRefunded"> => {
  assert.ok(payment.paidChargeId !== undefined, "a paid payment without a charge id");
  return {
    type: "PaymentRefunded",
    data: {
      paymentId: payment.paymentId,
      userId: payment.userId,
      telegramPaymentChargeId: payment.paidChargeId,
      starsAmount: payment.starsAmount,
      credits: payment.credits,
      refundedBy,
      ...(admin === undefined ? {} : { admin }),
      refundedAt: now,
    },
  };
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

const refundPayment = (command: PaymentCommandOf<"RefundPayment">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.status === "REFUNDED") return err({ type: "PaymentAlreadyRefunded", message: "Payment already refunded" });
  if (state.status !== "PAID") {
    return err({
      type: "PaymentNotPaid",
      status: state.status,
      message: `Payment is ${state.status}, only a PAID payment can be refunded`,
    });
  }
  return ok([refunded(state, "admin", command.now, command.admin)]);
};

const expirePayment = (command: PaymentCommandOf<"ExpirePayment">["data"], state: Payment): Decision => {
  if (state.status === "NONE") return err(paymentNotFound());
  if (state.status !== "PENDING") return none;
  if (Date.parse(command.now) < Date.parse(state.expiresAt)) {
    return err({ type: "PaymentNotExpired", message: `Payment expires at ${state.expiresAt}` });
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
    case "RecordRefundedPayment":
      return recordRefundedPayment(command.data, state);
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
  eventTypes: new Set<PaymentEvent["type"]>([
    "PaymentCreated",
    "InvoiceIssued",
    "PreCheckoutApproved",
    "PaymentPaid",
    "PaymentFailed",
    "PaymentRefunded",
    "ExtraChargeReceived",
    "ExtraChargeRefunded",
  ]),
};
