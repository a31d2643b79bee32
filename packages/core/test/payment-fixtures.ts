import type { PaymentCommand, PaymentEvent } from "../src/index.js";

/** One payment's events and commands, for the decider's given/when/then tables. */
export const paymentId = "6f1c2a7e-1d2b-4c3d-8e9f-0a1b2c3d4e5f";
export const userId = 512345678;
export const t0 = "2026-11-26T10:00:00.000Z";
export const t1 = "2026-11-26T10:01:00.000Z";
export const expiresAt = "2026-11-27T10:00:00.000Z";
export const afterExpiry = "2026-11-27T10:00:00.001Z";

export const created = {
  type: "PaymentCreated",
  data: { paymentId, userId, packageId: "pkg_100", starsAmount: 10, credits: 100, createdAt: t0, expiresAt },
} satisfies PaymentEvent;
export const issued = {
  type: "InvoiceIssued",
  data: { paymentId, invoiceLink: "https://t.me/$inv", issuedAt: t0 },
} satisfies PaymentEvent;
export const approved = {
  type: "PreCheckoutApproved",
  data: { paymentId, queryId: "q1", telegramUserId: userId, totalAmount: 10, approvedAt: t1 },
} satisfies PaymentEvent;
export const paid = (chargeId = "c1", payer: number | null = userId): PaymentEvent => ({
  type: "PaymentPaid",
  data: {
    paymentId,
    userId,
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    totalAmount: 10,
    credits: 100,
    ...(payer === null ? {} : { payerTelegramUserId: payer }),
    paidAt: t1,
  },
});
export const failed = (
  reason: "invoice_creation_failed" | "expired" | "amount_mismatch",
  message: string,
): PaymentEvent => ({
  type: "PaymentFailed",
  data: { paymentId, reason, message, failedAt: t1 },
});
export const refunded = (refundedBy: "admin" | "telegram", idempotencyKey?: string): PaymentEvent => ({
  type: "PaymentRefunded",
  data: {
    paymentId,
    userId,
    telegramPaymentChargeId: "c1",
    starsAmount: 10,
    credits: 100,
    refundedBy,
    ...(refundedBy === "admin" ? { admin: "admin:1" } : {}),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    refundedAt: t1,
  },
});
export const requested = (idempotencyKey?: string, admin = "admin:1"): PaymentEvent => ({
  type: "RefundRequested",
  data: {
    paymentId,
    telegramPaymentChargeId: "c1",
    telegramUserId: userId,
    starsAmount: 10,
    admin,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    requestedAt: t1,
  },
});
export const extra = (
  chargeId: string,
  reason: "invoice_already_paid" | "amount_mismatch" | "payment_not_payable" | "currency_mismatch",
  totalAmount = 10,
  currency = "XTR",
  telegramUserId = userId,
): PaymentEvent => ({
  type: "ExtraChargeReceived",
  data: {
    paymentId,
    reason,
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    telegramUserId,
    currency,
    totalAmount,
    receivedAt: t1,
  },
});

export const create = {
  type: "CreatePayment",
  data: { paymentId, userId, packageId: "pkg_100", starsAmount: 10, credits: 100, expiresAt, now: t0 },
} satisfies PaymentCommand;
export const preCheckout = (
  overrides: Partial<Extract<PaymentCommand, { type: "AnswerPreCheckout" }>["data"]> = {},
): PaymentCommand => ({
  type: "AnswerPreCheckout",
  data: {
    queryId: "q1",
    telegramUserId: userId,
    currency: "XTR",
    totalAmount: 10,
    requireSameUser: true,
    now: t1,
    ...overrides,
  },
});
export const successfulPayment = (
  overrides: Partial<Extract<PaymentCommand, { type: "RecordSuccessfulPayment" }>["data"]> = {},
): PaymentCommand => ({
  type: "RecordSuccessfulPayment",
  data: {
    telegramPaymentChargeId: "c1",
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: 10,
    telegramUserId: userId,
    now: t1,
    ...overrides,
  },
});
export const adminRefund = { type: "RefundPayment", data: { admin: "admin:1", now: t1 } } satisfies PaymentCommand;
export const refundRequest = (idempotencyKey?: string, admin = "admin:1"): PaymentCommand => ({
  type: "RequestRefund",
  data: { admin, ...(idempotencyKey === undefined ? {} : { idempotencyKey }), now: t1 },
});
export const keyedRefund = (idempotencyKey: string, admin = "admin:1"): PaymentCommand => ({
  type: "RefundPayment",
  data: { admin, idempotencyKey, now: t1 },
});
export const telegramRefund = (chargeId = "c1"): PaymentCommand => ({
  type: "RecordRefundedPayment",
  data: { telegramPaymentChargeId: chargeId, now: t1 },
});
