import { paymentStatuses, starsCurrency, wellFormedText } from "@starledger/core";
import { pageSizeMax } from "@starledger/projections";
import { z } from "zod";

// Every string taken from a request is core's wellFormedText: a lone surrogate or a NUL is a 400, never an event.

/** Most events the auditors' feed returns per request, and how many without `limit`. */
export const eventsPageMax = 10_000;
export const eventsPageDefault = 1_000;
/** The largest global position: a PostgreSQL bigint (and SQLite's integer) holds no more. */
export const globalPositionMax = 2n ** 63n - 1n;

/**
 * A whole-number query parameter within [min, max]. Anything else (negative, fractional, exponent, too large, not a
 * number) is a 400 that names the range, never a value the store cannot take.
 */
const queryWholeNumber = <N extends number | bigint>(min: N, max: N, parse: (digits: string) => N) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,20}$/, message)
    .transform((digits, ctx) => {
      const value = parse(digits);
      if (value >= min && value <= max) return value;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    })
    .meta({
      type: "integer",
      minimum: Number(min),
      ...(Number.isSafeInteger(Number(max)) ? { maximum: Number(max) } : {}),
      description: `a whole number from ${min} to ${max}`,
    });
};
const queryInteger = (min: number, max: number) => queryWholeNumber(min, max, Number);
const queryPosition = queryWholeNumber(0n, globalPositionMax, BigInt);

/** Request and response schemas: the OpenAPI document is generated from these. */
export const ErrorBody = z
  .object({ error: z.string(), message: z.string(), details: z.unknown().optional() })
  .meta({ id: "Error" });

/** What every admin route may answer before it runs: a bad request, no caller, a caller who is not an admin. */
export const AdminErrorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export const ConfigResponse = z.object({
  currency: z.literal(starsCurrency),
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

export const PaymentStatus = z.enum(paymentStatuses);

/** A first create answers PENDING; a replayed Idempotency-Key answers the payment as it is now. */
export const CreatePaymentResponse = z.object({
  paymentId: z.uuid(),
  status: PaymentStatus,
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
  status: PaymentStatus,
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
  limit: queryInteger(1, pageSizeMax).optional(),
});

export const HistoryResponse = z.object({ payments: z.array(HistoryItem), nextCursor: z.string().nullable() });

export const BalanceResponse = z.object({ userId: z.number().int(), credits: z.number().int() });

export const AdminListQuery = PageQuery.extend({
  status: PaymentStatus.optional(),
  userId: queryInteger(1, Number.MAX_SAFE_INTEGER).optional(),
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
  /** The balance after the adjustment; null while the balances read model is stopped. */
  credits: z.number().int().nullable(),
  delta: z.number().int(),
});

export const EventsQuery = z.object({
  after: queryPosition.optional(),
  limit: queryInteger(1, eventsPageMax).optional(),
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
