import { wellFormedText } from "@starledger/core";
import { z } from "zod";

// Every string taken from a request is core's wellFormedText: a lone surrogate or a NUL is a 400, never an event.

/** Request and response schemas: the OpenAPI document is generated from these. */
export const ErrorBody = z
  .object({ error: z.string(), message: z.string(), details: z.unknown().optional() })
  .meta({ id: "Error" });

export const ConfigResponse = z.object({
  currency: z.literal("XTR"),
  starsToCreditsRate: z.number().int(),
  packages: z.array(
    z.object({ id: z.string(), stars: z.number().int(), credits: z.number().int(), priceUsdApprox: z.number() }),
  ),
  mode: z.enum(["REAL", "MOCK"]),
});

export const CreatePaymentBody = z
  .object({
    starsAmount: z.number().int().positive().optional(),
    packageId: wellFormedText().min(1).max(64).optional(),
  })
  .strict()
  .refine((body) => body.starsAmount !== undefined || body.packageId !== undefined, {
    message: "Give either starsAmount or packageId",
  });

export const CreatePaymentResponse = z.object({
  paymentId: z.uuid(),
  status: z.literal("PENDING"),
  packageId: z.string(),
  starsAmount: z.number().int(),
  credits: z.number().int(),
  invoiceLink: z.string(),
});

export const IdempotencyKeyHeader = wellFormedText()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, { message: "printable ASCII without spaces" });

/** The Authorization header as the auth hook reads it; its scheme and credentials are checked by auth.ts. */
export const AuthorizationHeader = wellFormedText().optional();

/** Telegram's X-Telegram-Bot-Api-Secret-Token; compared with WEBHOOK_SECRET by the webhook service. */
export const WebhookSecretHeader = wellFormedText().max(256).optional();

export const HistoryItem = z.object({
  paymentId: z.string(),
  status: z.enum(["PENDING", "PAID", "FAILED", "REFUNDED"]),
  packageId: z.string(),
  starsAmount: z.number().int(),
  credits: z.number().int(),
  createdAt: z.string(),
  paidAt: z.string().optional(),
  refundedAt: z.string().optional(),
  failureReason: z.string().optional(),
});

export const PageQuery = z.object({
  cursor: wellFormedText().max(64).optional(),
  limit: z.coerce.number().int().positive().max(100).optional(),
});

export const HistoryResponse = z.object({ payments: z.array(HistoryItem), nextCursor: z.string().nullable() });

export const BalanceResponse = z.object({ userId: z.number().int(), credits: z.number().int() });

export const AdminListQuery = PageQuery.extend({
  status: z.enum(["PENDING", "PAID", "FAILED", "REFUNDED"]).optional(),
  userId: z.coerce.number().int().positive().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const StatsQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const PaymentIdParams = z.object({ id: wellFormedText().max(64) });

export const AdjustCreditsBody = z
  .object({
    userId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    delta: z.number().int().min(-1_000_000_000).max(1_000_000_000),
    reason: wellFormedText().max(500),
  })
  .strict();

export const AdjustCreditsResponse = z.object({
  userId: z.number().int(),
  credits: z.number().int(),
  delta: z.number().int(),
});

export const EventsQuery = z.object({
  after: z.coerce.bigint().nonnegative().optional(),
  limit: z.coerce.number().int().positive().max(10_000).optional(),
});

export const RecordedEventJson = z.object({
  id: z.string(),
  position: z.number(),
  stream: z.string(),
  revision: z.number(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
});
