import { starsCurrency } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { BotApiError, BotApiMethod } from "./bot-api-errors.js";
import { invoicePayloadBytesMax } from "./update-schemas.js";

/** Telegram's limits on an invoice. */
export const invoiceTitleLengthMax = 32;
export const invoiceDescriptionLengthMax = 255;
/** getStarTransactions returns at most this many per call. */
export const starTransactionsPageSizeMax = 100;
/** getAllStarTransactions stops after this many pages (100 000 transactions) unless told otherwise. */
export const defaultStarTransactionPagesMax = 1000;
/** The update kinds the webhook handles: successful_payment and refunded_payment arrive as a message. */
export const webhookAllowedUpdates: readonly string[] = ["message", "pre_checkout_query"];

export type LabeledPrice = { readonly label: string; readonly amount: number };

/** createInvoiceLink for Telegram Stars: currency XTR, an empty provider token and exactly one price. */
export type StarsInvoice = {
  readonly title: string;
  readonly description: string;
  /** 1-128 bytes; here the paymentId. */
  readonly payload: string;
  readonly currency: typeof starsCurrency;
  readonly prices: readonly LabeledPrice[];
  readonly providerToken?: "";
  readonly photoUrl?: string;
};

/** A Stars invoice for one package: the one price is labelled with the title. */
export const starsInvoice = (input: {
  title: string;
  description: string;
  payload: string;
  starsAmount: number;
}): StarsInvoice => ({
  title: input.title,
  description: input.description,
  payload: input.payload,
  currency: starsCurrency,
  prices: [{ label: input.title, amount: input.starsAmount }],
});

export type AnswerPreCheckoutQueryParams = {
  readonly preCheckoutQueryId: string;
  readonly ok: boolean;
  /** Required when ok is false: Telegram shows it to the user. */
  readonly errorMessage?: string;
};

export type RefundStarPaymentParams = { readonly userId: number; readonly telegramPaymentChargeId: string };

export type GetStarTransactionsParams = { readonly offset?: number; readonly limit?: number };

export type SetWebhookParams = {
  readonly url: string;
  /** Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token: 1-256 of A-Z, a-z, 0-9, _ and -. */
  readonly secretToken?: string;
  /** Default: webhookAllowedUpdates. */
  readonly allowedUpdates?: readonly string[];
  readonly dropPendingUpdates?: boolean;
  readonly maxConnections?: number;
};

export type StarAmount = { readonly starsAmount: number; readonly nanostarAmount: number };

export type TransactionPartner = {
  /** "user", "fragment", "telegram_ads", "telegram_api", "other", ... */
  readonly type: string;
  readonly userId: number | undefined;
  readonly invoicePayload: string | undefined;
};

export type StarTransaction = {
  /** For an incoming payment, the telegram_payment_charge_id; for a refund, the id of the refunded transaction. */
  readonly id: string;
  readonly starsAmount: number;
  readonly nanostarAmount: number;
  readonly date: Date;
  /** Set for incoming transactions (a user paying). */
  readonly source: TransactionPartner | undefined;
  /** Set for outgoing transactions (a refund to a user, a withdrawal). */
  readonly receiver: TransactionPartner | undefined;
};

export type WebhookInfo = {
  readonly url: string;
  readonly hasCustomCertificate: boolean;
  readonly pendingUpdateCount: number;
  readonly ipAddress: string | undefined;
  readonly lastErrorDate: Date | undefined;
  readonly lastErrorMessage: string | undefined;
  readonly maxConnections: number | undefined;
  readonly allowedUpdates: readonly string[] | undefined;
};

export type AllStarTransactions = {
  readonly transactions: readonly StarTransaction[];
  /** False when the page bound stopped the walk before a short page. */
  readonly complete: boolean;
};

export type BotApiResult<T> = Promise<Result<T, BotApiError>>;

export interface BotApi {
  readonly mode: "REAL" | "MOCK";
  createInvoiceLink(invoice: StarsInvoice): BotApiResult<string>;
  answerPreCheckoutQuery(params: AnswerPreCheckoutQueryParams): BotApiResult<true>;
  refundStarPayment(params: RefundStarPaymentParams): BotApiResult<true>;
  getStarTransactions(params?: GetStarTransactionsParams): BotApiResult<readonly StarTransaction[]>;
  /** Pages getStarTransactions by offset, 100 at a time, until a short page or `maxPages`. */
  getAllStarTransactions(options?: { maxPages?: number }): BotApiResult<AllStarTransactions>;
  getMyStarBalance(): BotApiResult<StarAmount>;
  setWebhook(params: SetWebhookParams): BotApiResult<true>;
  getWebhookInfo(): BotApiResult<WebhookInfo>;
  deleteWebhook(params?: { dropPendingUpdates?: boolean }): BotApiResult<true>;
}

/** JSON parameters as sent on the wire (snake_case, undefined members dropped). */
export type WireParams = Readonly<Record<string, unknown>>;

/** One Bot API request: the `result` of {ok:true,...}, or a typed error. REAL sends it over HTTP; MOCK answers in process. */
export type BotApiTransport = (method: BotApiMethod, params: WireParams) => Promise<Result<unknown, BotApiError>>;

// ---- validation of requests, before anything is sent ----

/** Counted in UTF-16 code units, as Telegram counts text: an emoji may count as 2, never as less. */
const characters = (text: string): number => text.length;
const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

const InvoiceSchema = z.object({
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

const AnswerPreCheckoutSchema = z
  .object({
    preCheckoutQueryId: z.string().min(1).max(256),
    ok: z.boolean(),
    errorMessage: z.string().min(1).max(255).optional(),
  })
  .refine((answer) => answer.ok || answer.errorMessage !== undefined, {
    message: "errorMessage is required when ok is false",
  });

const RefundSchema = z.object({
  userId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  telegramPaymentChargeId: z.string().min(1).max(256),
});

const TransactionsPageSchema = z.object({
  offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.number().int().min(1).max(starTransactionsPageSizeMax).optional(),
});

const SetWebhookSchema = z.object({
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

const results = {
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

const invalidRequest = (method: BotApiMethod, error: z.ZodError): BotApiError => ({
  type: "InvalidRequest",
  method,
  message: `${method}: ${error.issues.map((issue) => `${issue.path.join(".") || "params"}: ${issue.message}`).join("; ")}`,
});

/** Drops undefined members, so an omitted optional parameter is not sent at all. */
const wire = (params: Record<string, unknown>): WireParams =>
  Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));

/** The methods on top of a transport: validate, send, check the result. REAL and MOCK share all of it. */
export const buildBotApi = (mode: "REAL" | "MOCK", transport: BotApiTransport): BotApi => {
  const send = async <S extends z.ZodType>(
    method: BotApiMethod,
    params: WireParams,
    schema: S,
  ): Promise<Result<z.output<S>, BotApiError>> => {
    const answered = await transport(method, params);
    if (answered.isErr()) return err(answered.error);
    const parsed = schema.safeParse(answered.value);
    if (!parsed.success) {
      return err({
        type: "BadResponse",
        method,
        httpStatus: undefined,
        message: `${method}: unexpected result: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, "; ")}`.slice(
          0,
          500,
        ),
      });
    }
    return ok(parsed.data);
  };

  const validated = <S extends z.ZodType>(
    method: BotApiMethod,
    schema: S,
    input: unknown,
  ): Result<z.output<S>, BotApiError> => {
    const parsed = schema.safeParse(input);
    return parsed.success ? ok(parsed.data) : err(invalidRequest(method, parsed.error));
  };

  const getStarTransactions = async (
    params: GetStarTransactionsParams = {},
  ): BotApiResult<readonly StarTransaction[]> => {
    const page = validated("getStarTransactions", TransactionsPageSchema, params);
    if (page.isErr()) return err(page.error);
    return send(
      "getStarTransactions",
      wire({ offset: page.value.offset ?? 0, limit: page.value.limit ?? starTransactionsPageSizeMax }),
      results.transactions,
    );
  };

  return {
    mode,

    async createInvoiceLink(invoice) {
      const checked = validated("createInvoiceLink", InvoiceSchema, invoice);
      if (checked.isErr()) return err(checked.error);
      const v = checked.value;
      return send(
        "createInvoiceLink",
        wire({
          title: v.title,
          description: v.description,
          payload: v.payload,
          // Sent empty rather than omitted: older Bot API servers require the field.
          provider_token: "",
          currency: v.currency,
          prices: v.prices.map((price) => ({ label: price.label, amount: price.amount })),
          photo_url: v.photoUrl,
        }),
        results.link,
      );
    },

    async answerPreCheckoutQuery(params) {
      const checked = validated("answerPreCheckoutQuery", AnswerPreCheckoutSchema, params);
      if (checked.isErr()) return err(checked.error);
      const v = checked.value;
      return send(
        "answerPreCheckoutQuery",
        wire({
          pre_checkout_query_id: v.preCheckoutQueryId,
          ok: v.ok,
          error_message: v.ok ? undefined : v.errorMessage,
        }),
        results.true,
      );
    },

    async refundStarPayment(params) {
      const checked = validated("refundStarPayment", RefundSchema, params);
      if (checked.isErr()) return err(checked.error);
      return send(
        "refundStarPayment",
        wire({ user_id: checked.value.userId, telegram_payment_charge_id: checked.value.telegramPaymentChargeId }),
        results.true,
      );
    },

    getStarTransactions,

    async getAllStarTransactions(options = {}) {
      const maxPages = options.maxPages ?? defaultStarTransactionPagesMax;
      const all: StarTransaction[] = [];
      for (let page = 0; page < maxPages; page++) {
        const fetched = await getStarTransactions({ offset: all.length, limit: starTransactionsPageSizeMax });
        if (fetched.isErr()) return err(fetched.error);
        all.push(...fetched.value);
        if (fetched.value.length < starTransactionsPageSizeMax) return ok({ transactions: all, complete: true });
      }
      return ok({ transactions: all, complete: false });
    },

    async getMyStarBalance() {
      return send("getMyStarBalance", {}, results.starAmount);
    },

    async setWebhook(params) {
      const checked = validated("setWebhook", SetWebhookSchema, params);
      if (checked.isErr()) return err(checked.error);
      const v = checked.value;
      return send(
        "setWebhook",
        wire({
          url: v.url,
          secret_token: v.secretToken,
          allowed_updates: v.allowedUpdates ?? webhookAllowedUpdates,
          drop_pending_updates: v.dropPendingUpdates,
          max_connections: v.maxConnections,
        }),
        results.true,
      );
    },

    async getWebhookInfo() {
      return send("getWebhookInfo", {}, results.webhookInfo);
    },

    async deleteWebhook(params = {}) {
      return send("deleteWebhook", wire({ drop_pending_updates: params.dropPendingUpdates }), results.true);
    },
  };
};
