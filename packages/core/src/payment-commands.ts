import { z } from "zod";
import {
  ChargeId,
  FailureReason,
  IdempotencyKey,
  PaymentId,
  StarsAmount,
  TelegramUserId,
  Timestamp,
  Credits,
} from "./events.js";

const command = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });

export const CreatePayment = command(
  "CreatePayment",
  z.object({
    paymentId: PaymentId,
    userId: TelegramUserId,
    packageId: z.string().min(1),
    starsAmount: StarsAmount,
    credits: Credits,
    expiresAt: Timestamp,
    now: Timestamp,
  }),
);
export const RecordInvoiceIssued = command(
  "RecordInvoiceIssued",
  z.object({ invoiceLink: z.string().min(1), now: Timestamp }),
);
export const RecordInvoiceCreationFailed = command(
  "RecordInvoiceCreationFailed",
  z.object({ message: z.string(), now: Timestamp }),
);
export const AnswerPreCheckout = command(
  "AnswerPreCheckout",
  z.object({
    queryId: z.string().min(1),
    telegramUserId: TelegramUserId,
    currency: z.string(),
    totalAmount: z.number().int(),
    /** The runbook's rule: only the user who created the payment may pay it (configurable). */
    requireSameUser: z.boolean(),
    now: Timestamp,
  }),
);
const SuccessfulPaymentData = z.object({
  telegramPaymentChargeId: ChargeId,
  providerPaymentChargeId: z.string(),
  currency: z.string(),
  totalAmount: StarsAmount,
  /** `from.id` of the message; absent in the runbook's simulated webhook. */
  telegramUserId: TelegramUserId.optional(),
  now: Timestamp,
});
export const RecordSuccessfulPayment = command("RecordSuccessfulPayment", SuccessfulPaymentData);
/** The same charge, after the store said another stream already recorded it (KeyAlreadyClaimed). */
export const RecordChargeConflict = command("RecordChargeConflict", SuccessfulPaymentData);
export const RecordRefundedPayment = command(
  "RecordRefundedPayment",
  z.object({ telegramPaymentChargeId: ChargeId, now: Timestamp }),
);
const AdminRefundData = z.object({
  admin: z.string().min(1),
  idempotencyKey: IdempotencyKey.optional(),
  now: Timestamp,
});
/** Before Telegram is asked: records the request, claiming its Idempotency-Key. */
export const RequestRefund = command("RequestRefund", AdminRefundData);
/** After Telegram refunded: records PaymentRefunded. */
export const RefundPayment = command("RefundPayment", AdminRefundData);
export const RecordExtraChargeRefunded = command(
  "RecordExtraChargeRefunded",
  z.object({ telegramPaymentChargeId: ChargeId, now: Timestamp }),
);
export const ExpirePayment = command("ExpirePayment", z.object({ now: Timestamp }));
export const FailPayment = command(
  "FailPayment",
  z.object({ reason: FailureReason, message: z.string(), now: Timestamp }),
);

export const PaymentCommand = z.discriminatedUnion("type", [
  CreatePayment,
  RecordInvoiceIssued,
  RecordInvoiceCreationFailed,
  AnswerPreCheckout,
  RecordSuccessfulPayment,
  RecordChargeConflict,
  RecordRefundedPayment,
  RequestRefund,
  RefundPayment,
  RecordExtraChargeRefunded,
  ExpirePayment,
  FailPayment,
]);
export type PaymentCommand = z.infer<typeof PaymentCommand>;
export type PaymentCommandOf<T extends PaymentCommand["type"]> = Extract<PaymentCommand, { type: T }>;
