import { starsCurrency } from "@starledger/core";
import { z } from "zod";
import type { BotApiError, BotApiMethod } from "./bot-api-errors.js";
import {
  invoiceDescriptionLengthMax,
  invoiceTitleLengthMax,
  starTransactionsPageSizeMax,
  type StarAmount,
  type StarTransaction,
  type TransactionPartner,
  type WebhookInfo,
  type WireParams,
} from "./bot-api.js";
import { invoicePayloadBytesMax } from "./update-schemas.js";

// ---- validation of requests, before anything is sent ----

/** Counted in UTF-16 code units, as Telegram counts text: an emoji may count as 2, never as less. */
const characters = (text: string): number => text.length;
const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

export const InvoiceSchema = z.object({
  title: z.string().refine((t) => characters(t) >= 1 && characters(t) <= invoiceTitleLengthMax, {
    message: `title must be 1-${invoiceTitleLengthMax} characters`,
  }),
  description: z.string().refine((d) => characters(d) >= 1 && characters(d) <= invoiceDescriptionLengthMax, {
    message: `description must be 1-${invoiceDescriptionLengthMax} characters`,
  }),
  payload: z.string().refine((p) => utf8Bytes(p) >= 1 && utf8Bytes(p) <= invoicePayloadBytesMax, {
    message: `payload must be 1-${invoicePayloadBytesMax} bytes`,
  }),
  currency: z.literal(starsCurrency, { error: () => `currency must be "${starsCurrency}" for Telegram Stars` }),
  prices: z
    .array(
      z.object({
        label: z
          .string()
          .min(1)
          .max(invoiceTitleLengthMax * 4),
        amount: z.number().int().positive(),
      }),
    )
    .length(1, { message: "prices must contain exactly one item for Telegram Stars" }),
  providerToken: z
    .literal("", { error: () => "provider_token must be empty (or omitted) for Telegram Stars" })
    .optional(),
  photoUrl: z.url().optional(),
});

export const AnswerPreCheckoutSchema = z
  .object({
    preCheckoutQueryId: z.string().min(1).max(256),
    ok: z.boolean(),
    errorMessage: z.string().min(1).max(255).optional(),
  })
  .refine((answer) => answer.ok || answer.errorMessage !== undefined, {
    message: "errorMessage is required when ok is false",
  });

export const RefundSchema = z.object({
  userId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  telegramPaymentChargeId: z.string().min(1).max(256),
});

export const TransactionsPageSchema = z.object({
  offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.number().int().min(1).max(starTransactionsPageSizeMax).optional(),
});

export const SetWebhookSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: () => "url must be an http(s) URL" }),
  secretToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, { message: "secretToken must be 1-256 of A-Z, a-z, 0-9, _ and -" })
    .optional(),
  allowedUpdates: z.array(z.string().min(1).max(64)).max(32).optional(),
  dropPendingUpdates: z.boolean().optional(),
  maxConnections: z.number().int().min(1).max(100).optional(),
});

// ---- the shapes of results, checked on the way in ----

const WirePartner = z
  .object({
    type: z.string(),
    user: z.object({ id: z.number().int() }).optional(),
    invoice_payload: z.string().optional(),
  })
  .transform((partner): TransactionPartner => ({
    type: partner.type,
    userId: partner.user?.id,
    invoicePayload: partner.invoice_payload,
  }));

const WireTransaction = z
  .object({
    id: z.string(),
    amount: z.number().int(),
    nanostar_amount: z.number().int().optional(),
    date: z.number().int(),
    source: WirePartner.optional(),
    receiver: WirePartner.optional(),
  })
  .transform((t): StarTransaction => ({
    id: t.id,
    starsAmount: t.amount,
    nanostarAmount: t.nanostar_amount ?? 0,
    date: new Date(t.date * 1000),
    source: t.source,
    receiver: t.receiver,
  }));

export const results = {
  link: z.string().min(1),
  true: z.literal(true),
  transactions: z.object({ transactions: z.array(WireTransaction) }).transform((r) => r.transactions),
  starAmount: z
    .object({ amount: z.number().int(), nanostar_amount: z.number().int().optional() })
    .transform((a): StarAmount => ({ starsAmount: a.amount, nanostarAmount: a.nanostar_amount ?? 0 })),
  webhookInfo: z
    .object({
      url: z.string(),
      has_custom_certificate: z.boolean(),
      pending_update_count: z.number().int(),
      ip_address: z.string().optional(),
      last_error_date: z.number().int().optional(),
      last_error_message: z.string().optional(),
      max_connections: z.number().int().optional(),
      allowed_updates: z.array(z.string()).optional(),
    })
    .transform((w): WebhookInfo => ({
      url: w.url,
      hasCustomCertificate: w.has_custom_certificate,
      pendingUpdateCount: w.pending_update_count,
      ipAddress: w.ip_address,
      lastErrorDate: w.last_error_date === undefined ? undefined : new Date(w.last_error_date * 1000),
      lastErrorMessage: w.last_error_message,
      maxConnections: w.max_connections,
      allowedUpdates: w.allowed_updates,
    })),
};

export const invalidRequest = (method: BotApiMethod, error: z.ZodError): BotApiError => ({
  type: "InvalidRequest",
  method,
  message: `${method}: ${error.issues.map((issue) => `${issue.path.join(".") || "params"}: ${issue.message}`).join("; ")}`,
});

/** Drops undefined members, so an omitted optional parameter is not sent at all. */
export const wire = (params: Record<string, unknown>): WireParams =>
  Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
