import type { BotApiError } from "@starledger/telegram-adapter";
import type { LedgerError } from "@starledger/core";
import type { InvalidPageRequest, ReadModelStop } from "@starledger/projections";
import type { AuthError } from "./auth.js";

/** The runbook's messages, verbatim. */
export const runbookMessages = {
  notConfigured: "Payment system not configured",
  invoiceFailed: "Failed to create invoice",
  paymentNotFound: "Payment not found",
} as const;

export type HttpOnlyError =
  | { readonly type: "InvalidRequest"; readonly message: string; readonly details?: unknown }
  | { readonly type: "NotFound"; readonly message: string }
  | { readonly type: "PayloadTooLarge"; readonly message: string }
  | { readonly type: "UnsupportedMediaType"; readonly message: string }
  | { readonly type: "TooManyRequests"; readonly message: string }
  | { readonly type: "RequestTimeout"; readonly message: string }
  | { readonly type: "RequestHeadersTooLarge"; readonly message: string }
  | { readonly type: "TooManyPendingPayments"; readonly message: string }
  | { readonly type: "InvoiceCreationFailed"; readonly message: string; readonly details?: unknown }
  | { readonly type: "TelegramRefundFailed"; readonly message: string; readonly details?: unknown }
  | { readonly type: "PaymentSystemNotConfigured"; readonly message: string }
  | {
      readonly type: "ReadModelStopped";
      readonly message: string;
      readonly details: { readonly model: string; readonly position: string };
    };

export type AppError = LedgerError | AuthError | HttpOnlyError | InvalidPageRequest;

export type ErrorBody = { readonly error: string; readonly message: string; readonly details?: unknown };

const statusByType: Record<AppError["type"], number> = {
  InvalidRequest: 400,
  InvalidPageRequest: 400,
  UnknownPackage: 400,
  InvalidAdjustment: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  RequestTimeout: 408,
  RequestHeadersTooLarge: 431,
  PaymentNotFound: 404,
  UnknownCharge: 404,
  PreCheckoutRefused: 409,
  PaymentNotPending: 409,
  PaymentNotPaid: 409,
  PaymentAlreadyRefunded: 409,
  PaymentNotExpired: 409,
  TooManyPendingPayments: 409,
  IdempotencyConflict: 422,
  KeyAlreadyClaimed: 409,
  PaymentAlreadyExists: 422,
  // The ledger cannot store the request's data (ill-formed text, a value the database refuses): final, not a 503.
  InvalidEventData: 422,
  DuplicateEventId: 500,
  EventParseError: 500,
  InvoiceCreationFailed: 502,
  TelegramRefundFailed: 502,
  StoreUnavailable: 503,
  ConcurrencyError: 503,
  RetriesExhausted: 503,
  StreamBusy: 503,
  PaymentSystemNotConfigured: 503,
  ReadModelStopped: 503,
};

/** Thrown where fastify wants an Error (a content-type parser, a hook) to answer with an AppError. */
export class RequestRefused extends Error {
  constructor(readonly refusal: AppError) {
    super(refusal.type);
    this.name = "RequestRefused";
  }
}

const messageOf = (error: AppError): string => {
  switch (error.type) {
    case "PaymentNotFound":
      return runbookMessages.paymentNotFound;
    case "StoreUnavailable":
      return "The ledger store is unavailable; nothing was recorded, try again";
    case "ConcurrencyError":
    case "RetriesExhausted":
    case "StreamBusy":
      return "The payment is busy with concurrent updates; nothing was recorded, try again";
    case "DuplicateEventId":
      return "Internal error: an event id was reused";
    case "EventParseError":
      return "Internal error: a stored event could not be read";
    default:
      return error.message;
  }
};

/** The one place that turns an error into a status code and a body `{error, message, details?}`. */
export const toHttpError = (error: AppError): { status: number; body: ErrorBody } => {
  const details = "details" in error && error.details !== undefined ? { details: error.details } : {};
  return { status: statusByType[error.type], body: { error: error.type, message: messageOf(error), ...details } };
};

/** A Bot API failure during invoice creation: the runbook's "Failed to create invoice", with Telegram's reason. */
export const invoiceCreationFailed = (error: BotApiError): AppError =>
  error.type === "NotConfigured"
    ? { type: "PaymentSystemNotConfigured", message: `${runbookMessages.notConfigured}: MASTER_BOT_TOKEN is not set` }
    : { type: "InvoiceCreationFailed", message: runbookMessages.invoiceFailed, details: { telegram: error.message } };

export const telegramRefundFailed = (error: BotApiError): AppError =>
  error.type === "NotConfigured"
    ? { type: "PaymentSystemNotConfigured", message: `${runbookMessages.notConfigured}: MASTER_BOT_TOKEN is not set` }
    : {
        type: "TelegramRefundFailed",
        message: "Telegram refused or did not answer the refund; nothing was recorded",
        details: { telegram: error.message },
      };

/** A read that needs a read model which stopped on an event this build cannot apply; the other reads still work. */
export const readModelStopped = (stop: ReadModelStop): AppError => ({
  type: "ReadModelStopped",
  message:
    `The ${stop.model} read model stopped at position ${stop.position} on an event this build cannot apply ` +
    `(${stop.message}). Reads from it answer 503 until a build that can apply it runs; the other reads keep ` +
    `working. See README: a stopped read model`,
  details: { model: stop.model, position: stop.position.toString() },
});
