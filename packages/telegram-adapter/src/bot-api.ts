import { starsCurrency } from "@starledger/core";
import type { Result } from "neverthrow";
import type { BotApiError, BotApiMethod } from "./bot-api-errors.js";

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
