import { z } from "zod";

/** Telegram user ids fit in 52 bits, so a JS number holds them exactly. */
export const TelegramUserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const Timestamp = z.iso.datetime({ offset: true });
export const PaymentId = z.uuid();
export const StarsAmount = z.number().int().positive();
export const Credits = z.number().int().nonnegative();
export const ChargeId = z.string().min(1).max(256);
/** A client's Idempotency-Key on an admin request (the HTTP edge checks its form). */
export const IdempotencyKey = z.string().min(1).max(256);

export const FailureReason = z.enum([
  "invoice_creation_failed",
  "amount_mismatch",
  "currency_mismatch",
  "expired",
  "cancelled",
]);
export type FailureReason = z.infer<typeof FailureReason>;

/** Why a charge is kept aside and refunded instead of credited. */
export const UncreditedChargeReason = z.enum([
  "invoice_already_paid",
  "amount_mismatch",
  "currency_mismatch",
  "payment_not_payable",
]);
export type UncreditedChargeReason = z.infer<typeof UncreditedChargeReason>;

const PaymentCreatedData = z.object({
  paymentId: PaymentId,
  userId: TelegramUserId,
  packageId: z.string().min(1),
  starsAmount: StarsAmount,
  credits: Credits,
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
const InvoiceIssuedData = z.object({
  paymentId: PaymentId,
  invoiceLink: z.string().min(1),
  issuedAt: Timestamp,
});
const PreCheckoutApprovedData = z.object({
  paymentId: PaymentId,
  queryId: z.string().min(1),
  telegramUserId: TelegramUserId,
  totalAmount: StarsAmount,
  approvedAt: Timestamp,
});
const PaymentPaidData = z.object({
  paymentId: PaymentId,
  userId: TelegramUserId,
  telegramPaymentChargeId: ChargeId,
  providerPaymentChargeId: z.string(),
  totalAmount: StarsAmount,
  credits: Credits,
  /** Who paid (`from.id`): refundStarPayment must name the payer. Absent in the runbook's simulated webhook. */
  payerTelegramUserId: TelegramUserId.optional(),
  paidAt: Timestamp,
});
const PaymentFailedData = z.object({
  paymentId: PaymentId,
  reason: FailureReason,
  message: z.string(),
  failedAt: Timestamp,
});
const PaymentRefundedData = z.object({
  paymentId: PaymentId,
  userId: TelegramUserId,
  telegramPaymentChargeId: ChargeId,
  starsAmount: StarsAmount,
  credits: Credits,
  refundedBy: z.enum(["admin", "telegram"]),
  admin: z.string().optional(),
  /** The admin's Idempotency-Key, claimed ledger-wide by its RefundRequested, so it refunds one payment, once. */
  idempotencyKey: IdempotencyKey.optional(),
  refundedAt: Timestamp,
});
/**
 * An admin asked for the refund; Telegram is asked only after this is recorded, so the Idempotency-Key is claimed
 * (natural-keys.ts) before any Star moves. A request without its PaymentRefunded is completed by the refund reactor.
 */
const RefundRequestedData = z.object({
  paymentId: PaymentId,
  telegramPaymentChargeId: ChargeId,
  /** Who paid the charge: refundStarPayment's user_id. */
  telegramUserId: TelegramUserId,
  starsAmount: StarsAmount,
  admin: z.string().min(1),
  idempotencyKey: IdempotencyKey.optional(),
  requestedAt: Timestamp,
});
const ExtraChargeReceivedData = z.object({
  paymentId: PaymentId,
  reason: UncreditedChargeReason,
  telegramPaymentChargeId: ChargeId,
  providerPaymentChargeId: z.string(),
  telegramUserId: TelegramUserId,
  currency: z.string(),
  totalAmount: StarsAmount,
  receivedAt: Timestamp,
});
const ExtraChargeRefundedData = z.object({
  paymentId: PaymentId,
  telegramPaymentChargeId: ChargeId,
  totalAmount: StarsAmount,
  refundedAt: Timestamp,
});
/** A charge delivered for this payment that another stream already recorded: never credited, never refunded here. */
const ChargeConflictRecordedData = z.object({
  paymentId: PaymentId,
  telegramPaymentChargeId: ChargeId,
  providerPaymentChargeId: z.string(),
  totalAmount: StarsAmount,
  currency: z.string(),
  telegramUserId: TelegramUserId.optional(),
  receivedAt: Timestamp,
});
const CreditsAdjustedData = z.object({
  userId: TelegramUserId,
  delta: z.number().int(),
  reason: z.string().min(1),
  admin: z.string().min(1),
  /** The admin's Idempotency-Key: claimed ledger-wide (natural-keys.ts), so the adjustment takes effect once. */
  idempotencyKey: IdempotencyKey.optional(),
  adjustedAt: Timestamp,
});
const UnmatchedChargeReceivedData = z.object({
  telegramPaymentChargeId: ChargeId,
  providerPaymentChargeId: z.string(),
  invoicePayload: z.string(),
  currency: z.string(),
  totalAmount: StarsAmount,
  telegramUserId: TelegramUserId.optional(),
  receivedAt: Timestamp,
});
const UnmatchedChargeRefundedData = z.object({
  telegramPaymentChargeId: ChargeId,
  totalAmount: StarsAmount,
  refundedAt: Timestamp,
});

const event = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });

export const PaymentCreated = event("PaymentCreated", PaymentCreatedData);
export const InvoiceIssued = event("InvoiceIssued", InvoiceIssuedData);
export const PreCheckoutApproved = event("PreCheckoutApproved", PreCheckoutApprovedData);
export const PaymentPaid = event("PaymentPaid", PaymentPaidData);
export const PaymentFailed = event("PaymentFailed", PaymentFailedData);
export const RefundRequested = event("RefundRequested", RefundRequestedData);
export const PaymentRefunded = event("PaymentRefunded", PaymentRefundedData);
export const ExtraChargeReceived = event("ExtraChargeReceived", ExtraChargeReceivedData);
export const ExtraChargeRefunded = event("ExtraChargeRefunded", ExtraChargeRefundedData);
export const ChargeConflictRecorded = event("ChargeConflictRecorded", ChargeConflictRecordedData);
export const CreditsAdjusted = event("CreditsAdjusted", CreditsAdjustedData);
export const UnmatchedChargeReceived = event("UnmatchedChargeReceived", UnmatchedChargeReceivedData);
export const UnmatchedChargeRefunded = event("UnmatchedChargeRefunded", UnmatchedChargeRefundedData);

export const PaymentEvent = z.discriminatedUnion("type", [
  PaymentCreated,
  InvoiceIssued,
  PreCheckoutApproved,
  PaymentPaid,
  PaymentFailed,
  RefundRequested,
  PaymentRefunded,
  ExtraChargeReceived,
  ExtraChargeRefunded,
  ChargeConflictRecorded,
]);
export type PaymentEvent = z.infer<typeof PaymentEvent>;

export const CreditAccountEvent = z.discriminatedUnion("type", [CreditsAdjusted]);
export type CreditAccountEvent = z.infer<typeof CreditAccountEvent>;

export const UnmatchedChargeEvent = z.discriminatedUnion("type", [UnmatchedChargeReceived, UnmatchedChargeRefunded]);
export type UnmatchedChargeEvent = z.infer<typeof UnmatchedChargeEvent>;

/** The event types a union of event schemas holds: a decider's stream holds these and nothing else. */
export const eventTypesOf = <Option extends z.ZodObject<{ type: z.ZodLiteral<string> }>>(union: {
  readonly options: readonly Option[];
}): ReadonlySet<z.infer<Option>["type"]> => new Set(union.options.map((option) => option.shape.type.value));

export const LedgerEvent = z.discriminatedUnion("type", [
  ...PaymentEvent.options,
  ...CreditAccountEvent.options,
  ...UnmatchedChargeEvent.options,
]);
export type LedgerEvent = z.infer<typeof LedgerEvent>;
export type LedgerEventType = LedgerEvent["type"];
export type EventOf<T extends LedgerEventType> = Extract<LedgerEvent, { type: T }>;

/**
 * Schema versions: a stored event records the version it was written with.
 * To change an event's shape, bump its version here and add an upcaster that
 * turns the older data into the current shape, so old streams stay readable.
 */
export const currentSchemaVersion: Record<LedgerEventType, number> = {
  PaymentCreated: 1,
  InvoiceIssued: 1,
  PreCheckoutApproved: 1,
  PaymentPaid: 1,
  PaymentFailed: 1,
  RefundRequested: 1,
  PaymentRefunded: 1,
  ExtraChargeReceived: 1,
  ExtraChargeRefunded: 1,
  ChargeConflictRecorded: 1,
  CreditsAdjusted: 1,
  UnmatchedChargeReceived: 1,
  UnmatchedChargeRefunded: 1,
};

const dataSchemaByType = Object.fromEntries(
  LedgerEvent.options.map((option) => [option.shape.type.value, option.shape.data]),
) as unknown as Record<LedgerEventType, z.ZodType>;

/**
 * The current data shape of each ledger event type as JSON Schema (draft-07), generated from the zod
 * schemas above, so they stay the one source of truth. Objects are closed (`additionalProperties: false`)
 * where zod would strip unknown keys: what they accept, zod accepts unchanged. For compiled validators on
 * hot read paths (the projections' replay), which must fall back to parseLedgerEvent for anything they reject.
 */
export const ledgerEventDataJsonSchemas = (): Record<LedgerEventType, Record<string, unknown>> =>
  Object.fromEntries(
    Object.entries(dataSchemaByType).map(([type, schema]) => {
      const { $schema: _dialect, ...jsonSchema }: Record<string, unknown> = z.toJSONSchema(schema, {
        target: "draft-07",
      });
      return [type, jsonSchema];
    }),
  ) as Record<LedgerEventType, Record<string, unknown>>;

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;
/** upcasters[type][v] turns version v data into version v + 1. None are needed yet. */
export const upcasters: Partial<Record<LedgerEventType, Record<number, Upcaster>>> = {};

export const isLedgerEventType = (type: string): type is LedgerEventType =>
  Object.prototype.hasOwnProperty.call(currentSchemaVersion, type);

export type EventParseError = { readonly type: "EventParseError"; readonly message: string };

/** Parse an event read back from a store: upcast old versions, then validate. */
export const parseLedgerEvent = (
  type: string,
  data: unknown,
  schemaVersion: number,
): { ok: true; event: LedgerEvent } | { ok: false; error: EventParseError } => {
  if (!isLedgerEventType(type)) {
    return { ok: false, error: { type: "EventParseError", message: `unknown event type "${type}"` } };
  }
  const current = currentSchemaVersion[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current) {
    return {
      ok: false,
      error: {
        type: "EventParseError",
        message: `${type} has schema version ${schemaVersion}, this build reads 1..${current}`,
      },
    };
  }
  let upcast = data;
  for (let version = schemaVersion; version < current; version++) {
    const step = upcasters[type]?.[version];
    if (step === undefined || typeof upcast !== "object" || upcast === null) {
      return { ok: false, error: { type: "EventParseError", message: `no upcaster for ${type} v${version}` } };
    }
    upcast = step(upcast as Record<string, unknown>);
  }
  // One schema looked up by type: the replay path runs this once per event.
  const parsed = dataSchemaByType[type].safeParse(upcast);
  if (!parsed.success) {
    return { ok: false, error: { type: "EventParseError", message: `${type}: ${z.prettifyError(parsed.error)}` } };
  }
  return { ok: true, event: { type, data: parsed.data } as LedgerEvent };
};
