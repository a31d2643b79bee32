/** The payments read model's shapes: its views, its queries, and the mutable row a view is copied from. */
import type { FailureReason, PaymentStatus, UncreditedChargeReason } from "@starledger/core";
import type { InvalidPageRequest, PageRequest, SortKey } from "./pagination.js";

/** A second (or mismatched, or late) charge on a payment: never credited, to be refunded. */
export type ExtraChargeView = {
  readonly telegramPaymentChargeId: string;
  readonly reason: UncreditedChargeReason;
  readonly telegramUserId: number;
  readonly currency: string;
  readonly starsAmount: number;
  readonly receivedAt: string;
  readonly refunded: boolean;
  readonly refundedAt: string | null;
};

/** A charge delivered for this payment that another payment (or an unmatched charge) recorded first: never credited or refunded here. */
export type ChargeConflictView = {
  readonly telegramPaymentChargeId: string;
  /** Who paid, when the update said. */
  readonly telegramUserId: number | null;
  readonly currency: string;
  readonly starsAmount: number;
  readonly receivedAt: string;
};

export type PaymentView = {
  readonly paymentId: string;
  readonly userId: number;
  readonly status: PaymentStatus;
  readonly packageId: string;
  readonly starsAmount: number;
  readonly credits: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly invoiceLink: string | null;
  readonly invoiceIssuedAt: string | null;
  readonly preCheckoutApprovedAt: string | null;
  readonly paidAt: string | null;
  readonly telegramPaymentChargeId: string | null;
  readonly providerPaymentChargeId: string | null;
  /** Who paid the credited charge (from.id); null when the update did not say (then it was the owner, userId). */
  readonly payerTelegramUserId: number | null;
  readonly failedAt: string | null;
  readonly failureReason: FailureReason | null;
  readonly failureMessage: string | null;
  readonly refundedAt: string | null;
  readonly refundedBy: "admin" | "telegram" | null;
  readonly refundedByAdmin: string | null;
  /** The admin's Idempotency-Key of the refund, when it had one. */
  readonly refundIdempotencyKey: string | null;
  readonly extraCharges: readonly ExtraChargeView[];
  readonly conflictingCharges: readonly ChargeConflictView[];
};

export type PaymentPage = { readonly payments: readonly PaymentView[]; readonly nextCursor: string | null };
export type PaymentPageResult =
  { readonly ok: true; readonly page: PaymentPage } | { readonly ok: false; readonly error: InvalidPageRequest };

export type PaymentListQuery = PageRequest & {
  readonly status?: PaymentStatus;
  readonly userId?: number;
  /** Inclusive lower bound on createdAt. */
  readonly from?: Date;
  /** Exclusive upper bound on createdAt. */
  readonly to?: Date;
};

export type PaymentsReadModel = {
  get(paymentId: string): PaymentView | undefined;
  /** The user's payments, newest (by createdAt) first. */
  historyForUser(userId: number, page?: PageRequest): PaymentPageResult;
  /** All payments newest first, filtered. Cost grows with the rows the filters skip, not with the page size alone. */
  list(query?: PaymentListQuery): PaymentPageResult;
  count(): number;
  /** The user's payments still PENDING that can still be paid at `now` (not yet past expiresAt). */
  pendingCountForUser(userId: number, now: Date): number;
  /** Payments holding an extra charge not yet refunded, in the order they became so, at most `limit` (<= pageSizeMax). */
  withExtraChargesPendingRefund(limit?: number): readonly PaymentView[];
  /** The payment an admin refunded with this Idempotency-Key, if any. */
  refundedWithIdempotencyKey(idempotencyKey: string): PaymentView | undefined;
  /** Ids of payments still PENDING whose expiresAt <= now, earliest expiry first, at most `limit`: the expiry sweeper's port. */
  expiredPending(now: Date, limit: number): readonly string[];
};

/** Internal, mutable row; views are copied out of it so callers cannot change the model. */
export type ExtraChargeRecord = {
  -readonly [K in keyof ExtraChargeView]: ExtraChargeView[K];
} & {
  receivedAtMs: number;
  refundedAtMs: number;
  /** Global position of its ExtraChargeReceived. */
  readonly seq: number;
};

export type PaymentRecord = {
  -readonly [K in keyof Omit<PaymentView, "extraCharges" | "conflictingCharges">]: PaymentView[K];
} & SortKey & {
    readonly extraCharges: ExtraChargeRecord[];
    readonly conflictingCharges: ChargeConflictView[];
    readonly expiresAtMs: number;
    /** Set once by PaymentPaid: a refunded payment was paid too. */
    paidAtMs: number;
    /** Global position of the PaymentPaid; NaN before it. */
    paidSeq: number;
    paidStarsAmount: number;
    paidCredits: number;
    refundedStarsAmount: number;
    refundedCredits: number;
    failedAtMs: number;
    refundedAtMs: number;
  };

export const toView = (record: PaymentRecord): PaymentView => ({
  paymentId: record.paymentId,
  userId: record.userId,
  status: record.status,
  packageId: record.packageId,
  starsAmount: record.starsAmount,
  credits: record.credits,
  createdAt: record.createdAt,
  expiresAt: record.expiresAt,
  invoiceLink: record.invoiceLink,
  invoiceIssuedAt: record.invoiceIssuedAt,
  preCheckoutApprovedAt: record.preCheckoutApprovedAt,
  paidAt: record.paidAt,
  telegramPaymentChargeId: record.telegramPaymentChargeId,
  providerPaymentChargeId: record.providerPaymentChargeId,
  payerTelegramUserId: record.payerTelegramUserId,
  failedAt: record.failedAt,
  failureReason: record.failureReason,
  failureMessage: record.failureMessage,
  refundedAt: record.refundedAt,
  refundedBy: record.refundedBy,
  refundedByAdmin: record.refundedByAdmin,
  refundIdempotencyKey: record.refundIdempotencyKey,
  conflictingCharges: record.conflictingCharges.map((charge) => ({ ...charge })),
  extraCharges: record.extraCharges.map((charge) => ({
    telegramPaymentChargeId: charge.telegramPaymentChargeId,
    reason: charge.reason,
    telegramUserId: charge.telegramUserId,
    currency: charge.currency,
    starsAmount: charge.starsAmount,
    receivedAt: charge.receivedAt,
    refunded: charge.refunded,
    refundedAt: charge.refundedAt,
  })),
});
