import type { EventStore, LedgerConfig, StarsLedger } from "@starledger/core";
import type { ProjectionRunner, ReadModelName } from "@starledger/projections";
import type {
  AdminRefund,
  BotApi,
  PaymentCreation,
  TelegramConfig,
  WebhookService,
} from "@starledger/telegram-adapter";
import type { FastifyRequest } from "fastify";
import type { AuthSettings, Caller } from "./auth.js";
import type { HttpConfig } from "./config.js";
import { readModelStopped, sendError } from "./http-errors.js";
import type { Metrics } from "./metrics.js";

/** Everything the routes need; `compose` (@starledger/server) wires them, on a real or an in-memory store. */
export type AppDeps = {
  /** The settings of the ledger, Telegram and HTTP (the routes show the rate and the mode). */
  readonly config: LedgerConfig & TelegramConfig & HttpConfig;
  readonly store: EventStore;
  readonly ledger: StarsLedger;
  readonly projections: ProjectionRunner;
  readonly botApi: BotApi;
  readonly webhook: WebhookService;
  readonly auth: AuthSettings;
  readonly metrics: Metrics;
  readonly now?: () => Date;
  /** How long a command's answer waits for the read models to show it (read your own writes). */
  readonly readYourWritesTimeoutMs?: number;
  /** Create requests per user per minute. */
  readonly createRateLimitPerMinute?: number;
};

export const defaultReadYourWritesTimeoutMs = 2_000;
/**
 * How far (in global positions, about events) the read models that have not stopped may be behind the store's
 * head while /ready stays 200. A healthy instance under load is a handful of events behind between a commit and
 * its subscription's next read (1 to 6 measured); 500 is one subscription read batch and a few milliseconds of
 * applying (the models apply over 100,000 events/s), so an instance further behind is catching up or stalled.
 */
export const readyLagEventsMax = 500;
export const defaultCreateRateLimitPerMinute = 30;
/**
 * Distinct callers whose create counters are kept per minute. The counters live in an LRU of this size: with more
 * callers than this in one window the least recent would be forgotten and could start again at zero (the plugin's
 * default, 5,000, was reached by 5,000 users a minute). About 100 bytes each.
 */
export const rateLimitCallersPerWindowMax = 100_000;
/** The create use case's limit, listed here with the other limits of the HTTP edge. */
export { pendingPaymentsPerUserMax } from "@starledger/telegram-adapter";
export const bodyLimitBytes = 64 * 1024;
/** Telegram's updates may carry large messages we ignore; refusing them with 413 would make Telegram retry forever. */
export const webhookBodyLimitBytes = 1024 * 1024;
/**
 * A request's headers and body must have arrived within this (Node's requestTimeout), or it is answered 408 and its
 * connection closed: a client that trickles its body a byte at a time cannot hold a connection for longer.
 */
export const requestBodyDeadlineMs = 30_000;
/** A request's headers must have arrived within this (Node's headersTimeout). */
export const requestHeadersDeadlineMs = 10_000;
/** How often Node looks for requests past those deadlines (its default, 30 s, would double the body deadline). */
export const deadlineCheckIntervalMs = 1_000;

export type AppContext = AppDeps & {
  readonly clock: () => Date;
  /** The use cases the routes translate to and from HTTP. */
  readonly paymentCreation: PaymentCreation;
  readonly adminRefund: AdminRefund;
  /** Waits (bounded) until the read models include `position`; a write is durable either way. */
  readonly settle: (position: bigint | undefined) => Promise<void>;
};

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export { sendError } from "./http-errors.js";

/** Answers 503 when a read model the route reads has stopped; true when it did, and the route has answered. */
export const refusedAsStopped = (ctx: AppContext, reply: object, models: readonly ReadModelName[]): boolean => {
  const stop = ctx.projections.stoppedAmong(models);
  if (stop === undefined) return false;
  sendError(reply, readModelStopped(stop));
  return true;
};

/** The authenticated caller; routes run behind the auth hook, so a missing one is a bug. */
export const callerOf = (request: FastifyRequest): Caller => {
  if (request.caller === undefined) throw new Error("assertion: route reached without an authenticated caller");
  return request.caller;
};
