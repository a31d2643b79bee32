/** A payment's state, folded from its stream by evolvePayment: what the payment decider decides on. */
import assert from "node:assert/strict";
import type { FailureReason, PaymentEvent } from "./events.js";
import type { PaymentStatus } from "./payment-errors.js";

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
  /** When the last pre-checkout was approved: Telegram may still be charging the user after expiresAt. */
  readonly lastApprovedAt: string | undefined;
  /** The one credited charge: set exactly when status is PAID or REFUNDED. */
  readonly paidChargeId: string | undefined;
  /** Who paid that charge (refunds go to the payer); the owner when the update did not say. */
  readonly payerUserId: number | undefined;
  /** Charges taken but never credited (extra, mismatched, late): each must be refunded. */
  readonly uncreditedCharges: ReadonlyMap<string, UncreditedCharge>;
  /** Charges delivered for this payment that another stream recorded first: never credited nor refunded here. */
  readonly conflictingCharges: ReadonlySet<string>;
  /** The admin's Idempotency-Key of the refund, so the same refund asked again is recognised. */
  readonly refundIdempotencyKey: string | undefined;
  /** An admin asked for a refund (RefundRequested), which Telegram may or may not have made yet. */
  readonly refundRequested: boolean;
  /** Every Idempotency-Key an admin refund of this payment was asked under: asked again, it is the same request. */
  readonly refundKeys: ReadonlySet<string>;
  readonly failureReason: FailureReason | undefined;
};

export type Payment = { readonly status: "NONE" } | ExistingPayment;

export const initialPayment: Payment = { status: "NONE" };

const existing = (state: Payment): ExistingPayment => {
  assert.ok(state.status !== "NONE", "an event other than PaymentCreated on an empty payment stream");
  return state;
};

const withKey = (keys: ReadonlySet<string>, key: string | undefined): ReadonlySet<string> =>
  key === undefined || keys.has(key) ? keys : new Set([...keys, key]);

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
        lastApprovedAt: undefined,
        paidChargeId: undefined,
        payerUserId: undefined,
        uncreditedCharges: new Map(),
        conflictingCharges: new Set(),
        refundIdempotencyKey: undefined,
        refundRequested: false,
        refundKeys: new Set(),
        failureReason: undefined,
      };
    case "InvoiceIssued":
      return { ...existing(state), invoiceLink: event.data.invoiceLink };
    case "PreCheckoutApproved": {
      const payment = existing(state);
      return {
        ...payment,
        approvedQueryIds: new Set([...payment.approvedQueryIds, event.data.queryId]),
        lastApprovedAt: event.data.approvedAt,
      };
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
    case "RefundRequested": {
      const payment = existing(state);
      return { ...payment, refundRequested: true, refundKeys: withKey(payment.refundKeys, event.data.idempotencyKey) };
    }
    case "PaymentRefunded": {
      const payment = existing(state);
      assert.ok(payment.paidChargeId !== undefined, "a refund of a payment that was never paid");
      const key = event.data.idempotencyKey;
      // A refund recorded before RefundRequested existed holds its key itself.
      return {
        ...payment,
        status: "REFUNDED",
        refundIdempotencyKey: key,
        refundKeys: withKey(payment.refundKeys, key),
      };
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
    case "ChargeConflictRecorded": {
      const payment = existing(state);
      return {
        ...payment,
        conflictingCharges: new Set([...payment.conflictingCharges, event.data.telegramPaymentChargeId]),
      };
    }
  }
};

/** The payment already knows this charge: credited, kept aside to refund, or recorded as a conflict. */
export const knowsCharge = (payment: ExistingPayment, telegramPaymentChargeId: string): boolean =>
  payment.paidChargeId === telegramPaymentChargeId ||
  payment.uncreditedCharges.has(telegramPaymentChargeId) ||
  payment.conflictingCharges.has(telegramPaymentChargeId);
