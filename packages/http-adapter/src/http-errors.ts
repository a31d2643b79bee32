import { invoiceFailedMessage, type PaymentUseCaseError } from "@starledger/telegram-adapter";
import type { InvalidPageRequest, ReadModelStop } from "@starledger/projections";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import type { AuthError } from "./auth.js";

/** The runbook's messages, verbatim. */
export const runbookMessages = {
  notConfigured: "Payment system not configured",
  invoiceFailed: invoiceFailedMessage,
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
  | { readonly type: "InternalError"; readonly message: string }
  | {
      readonly type: "ReadModelStopped";
      readonly message: string;
      readonly details: { readonly model: string; readonly position: string };
    };

export type AppError = PaymentUseCaseError | AuthError | HttpOnlyError | InvalidPageRequest;

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
  InternalError: 500,
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

/** Sends an error through the one mapping; returns the route's own (typed) reply so handlers can `return` it. */
export const sendError = <Reply extends object>(reply: Reply, error: AppError): Reply => {
  const { status, body } = toHttpError(error);
  void (reply as unknown as FastifyReply).code(status).send(body);
  return reply;
};

/** @fastify/rate-limit throws its errorResponseBuilder's plain object, not an Error: read `message` from either. */
const errorMessage = (error: unknown, fallback: string): string => {
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === "string" && message !== "" ? message : fallback;
};

/** No query parameter takes a list, so `?limit=100&limit=1` (parsed as an array) is named for what it is. */
const repeatedQueryParameter = (context: string | undefined, path: string, query: unknown): string | undefined => {
  if (context !== "querystring" || typeof query !== "object" || query === null) return undefined;
  const name = path.slice(1);
  return Array.isArray((query as Record<string, unknown>)[name]) ? "given more than once" : undefined;
};

/** What fastify throws (validation, body parsing, rate limit, a RequestRefused), as an AppError; undefined for others. */
const appErrorOf = (error: FastifyError, request: FastifyRequest): AppError | undefined => {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const problems = error.validation.map((v) => ({
      path: v.instancePath,
      message: repeatedQueryParameter(error.validationContext, v.instancePath, request.query) ?? v.message,
    }));
    return {
      type: "InvalidRequest",
      message: `Invalid ${error.validationContext ?? "request"}: ${problems.map((p) => `${p.path || "/"} ${p.message ?? ""}`.trim()).join("; ")}`,
      details: problems,
    };
  }
  if (error instanceof RequestRefused) return error.refusal;
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return { type: "PayloadTooLarge", message: `Body larger than ${request.routeOptions.bodyLimit} bytes` };
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return { type: "UnsupportedMediaType", message: "Send Content-Type: application/json" };
  if ((error as { statusCode?: number }).statusCode === 429)
    return { type: "TooManyRequests", message: errorMessage(error, "Too many requests") };
  return undefined;
};

/**
 * Fastify's error handler: its errors answered through the mapping above. Another client error fastify raised
 * keeps fastify's own 4xx (as BadRequest); anything else is a bug, logged, and answered 500.
 */
export const errorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
  const known = appErrorOf(error, request);
  if (known !== undefined) return sendError(reply, known);
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return reply.code(statusCode).send({ error: "BadRequest", message: errorMessage(error, "Bad request") });
  }
  request.log.error({ err: error }, "Unhandled error");
  return sendError(reply, {
    type: "InternalError",
    message: "Internal error; nothing was recorded unless a later read shows it",
  });
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
