/** What the ledger's use cases answer, and how an answer is read from a handled command. */
import type { EventOf, PaymentEvent } from "./events.js";
import type { ExistingPayment, Payment } from "./payment-state.js";

/** An Idempotency-Key already used for another request: nothing was changed. */
export type IdempotencyConflict = { readonly type: "IdempotencyConflict"; readonly message: string };
export type Written = {
  /** Global position of the last event written; undefined when the command changed nothing. */
  readonly position: bigint | undefined;
};

export type SuccessfulPaymentOutcome =
  | { readonly kind: "paid"; readonly payment: ExistingPayment }
  | { readonly kind: "duplicate"; readonly payment: ExistingPayment }
  | { readonly kind: "uncredited"; readonly payment: ExistingPayment; readonly reason: string }
  | { readonly kind: "unmatched" }
  /** Another payment (or an unmatched-charge stream) recorded this charge first: nothing credited, nothing to refund. */
  | { readonly kind: "conflict"; readonly payment: ExistingPayment | undefined };

/** A refund check: refundable, or already refunded by this very request (its Idempotency-Key), at `position`. */
export type RefundCheck =
  | { readonly kind: "refundable"; readonly payment: ExistingPayment }
  | { readonly kind: "alreadyRefunded"; readonly payment: ExistingPayment; readonly position: bigint | undefined };

/**
 * An admin refund request: recorded (or open already under its key), so Telegram may be asked; or refunded before
 * under this very key, at `position`.
 */
export type RefundRequest =
  | { readonly kind: "requested"; readonly payment: ExistingPayment; readonly position: bigint | undefined }
  | { readonly kind: "alreadyRefunded"; readonly payment: ExistingPayment; readonly position: bigint | undefined };

export const idempotencyConflict = (message: string): IdempotencyConflict => ({ type: "IdempotencyConflict", message });

/** The admin who asked is not part of the request: two admins working one ticket with one key adjust once. */
export const sameAdjustment = (
  recorded: EventOf<"CreditsAdjusted">,
  request: { userId: number; delta: number; reason: string },
): boolean =>
  recorded.data.userId === request.userId &&
  recorded.data.delta === request.delta &&
  recorded.data.reason === request.reason.trim();

export const successfulPaymentOutcome = (
  handled: { readonly state: Payment; readonly newEvents: readonly PaymentEvent[] },
  telegramPaymentChargeId: string,
): SuccessfulPaymentOutcome => {
  const payment = existingOrThrow(handled.state);
  const written = handled.newEvents;
  if (written.length === 0) {
    // Nothing new: this charge was credited, kept aside, or found to be another payment's, on an earlier delivery.
    return payment.conflictingCharges.has(telegramPaymentChargeId)
      ? { kind: "conflict", payment }
      : { kind: "duplicate", payment };
  }
  const extra = written.find((e): e is EventOf<"ExtraChargeReceived"> => e.type === "ExtraChargeReceived");
  if (extra !== undefined) return { kind: "uncredited", payment, reason: extra.data.reason };
  return { kind: "paid", payment };
};

export const existingOrThrow = (state: Payment): ExistingPayment => {
  if (state.status === "NONE") throw new Error("assertion: a handled payment command left no payment");
  return state;
};
