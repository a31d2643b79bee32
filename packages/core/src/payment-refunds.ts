/** The admin refund's decisions: RefundRequested before Telegram is asked, PaymentRefunded after. */
import assert from "node:assert/strict";
import { err, ok, type Result } from "neverthrow";
import type { EventOf, PaymentEvent } from "./events.js";
import type { PaymentCommandOf } from "./payment-commands.js";
import { paymentNotFound, type PaymentError } from "./payment-errors.js";
import type { ExistingPayment, Payment } from "./payment-state.js";

type Decision = Result<PaymentEvent[], PaymentError>;

export const refunded = (
  payment: ExistingPayment,
  refundedBy: "admin" | "telegram",
  now: string,
  admin?: { readonly name: string; readonly idempotencyKey: string | undefined },
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
      ...(admin === undefined ? {} : { admin: admin.name }),
      ...(admin?.idempotencyKey === undefined ? {} : { idempotencyKey: admin.idempotencyKey }),
      refundedAt: now,
    },
  };
};

type AdminRefund = PaymentCommandOf<"RequestRefund" | "RefundPayment">["data"];

const refundRequested = (payment: ExistingPayment, command: AdminRefund): EventOf<"RefundRequested"> => {
  assert.ok(payment.paidChargeId !== undefined, "a paid payment without a charge id");
  return {
    type: "RefundRequested",
    data: {
      paymentId: payment.paymentId,
      telegramPaymentChargeId: payment.paidChargeId,
      telegramUserId: payment.payerUserId ?? payment.userId,
      starsAmount: payment.starsAmount,
      admin: command.admin,
      ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey }),
      requestedAt: command.now,
    },
  };
};

/** The payment an admin refund may act on (PAID, or REFUNDED under this very key), and whether its key was seen. */
const adminRefundable = (
  command: AdminRefund,
  state: Payment,
): Result<{ payment: ExistingPayment; askedBefore: boolean }, PaymentError> => {
  if (state.status === "NONE") return err(paymentNotFound());
  const askedBefore = command.idempotencyKey !== undefined && state.refundKeys.has(command.idempotencyKey);
  if (state.status === "REFUNDED") {
    // The same admin refund asked again (its Idempotency-Key) changes nothing; any other is refused.
    return askedBefore
      ? ok({ payment: state, askedBefore })
      : err({ type: "PaymentAlreadyRefunded", message: "Payment already refunded" });
  }
  if (state.status !== "PAID") {
    return err({
      type: "PaymentNotPaid",
      status: state.status,
      message: `Payment is ${state.status}, only a PAID payment can be refunded`,
    });
  }
  return ok({ payment: state, askedBefore });
};

export const requestRefund = (command: AdminRefund, state: Payment): Decision =>
  adminRefundable(command, state).map(({ payment, askedBefore }) => {
    if (payment.status === "REFUNDED" || askedBefore) return [];
    // Without a key one open request is enough: Telegram refunds a charge once, whoever asks.
    if (command.idempotencyKey === undefined && payment.refundRequested) return [];
    return [refundRequested(payment, command)];
  });

export const refundPayment = (command: AdminRefund, state: Payment): Decision =>
  adminRefundable(command, state).map(({ payment, askedBefore }) => {
    if (payment.status === "REFUNDED") return [];
    // A key is claimed by the request: recorded here with the refund when no RefundRequested claimed it yet.
    const request = command.idempotencyKey === undefined || askedBefore ? [] : [refundRequested(payment, command)];
    const admin = { name: command.admin, idempotencyKey: command.idempotencyKey };
    return [...request, refunded(payment, "admin", command.now, admin)];
  });
