import {
  createPaymentExpirySweeper,
  StarsLedger,
  type EventStore,
  type LedgerSettings,
  type PaymentExpirySweeper,
} from "@starledger/core";
import { buildApp, createMetrics, type Metrics } from "@starledger/http-adapter";
import { createProjections, type ProjectionRunner } from "@starledger/projections";
import {
  createBotApiFromConfig,
  createRefundReactor,
  createWebhookService,
  type BotApi,
  type RefundReactor,
  type WebhookService,
} from "@starledger/telegram-adapter";
import type { FastifyInstance } from "fastify";
import { err, ok, type Result } from "neverthrow";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { resolveAuthSecret } from "./dev-secret.js";
import { openEventStore, type OpenStoreError } from "./open-event-store.js";
import { timedEventStore } from "./timed-event-store.js";

/**
 * How long shutdown lets in-flight requests finish before it closes the connections still open (a slow client, a
 * request stuck on Telegram), so SIGTERM always exits. Below the usual 30 s an orchestrator waits before SIGKILL.
 */
export const shutdownGraceMs = 10_000;

export type ComposeDeps = {
  readonly logger: Logger;
  /** The clock of the webhook, the routes, the refund reactor and the expiry sweeper. */
  readonly now: () => Date;
  /** Default: the Bot API client the settings describe (PAYMENT_MODE, MASTER_BOT_TOKEN, TELEGRAM_*). */
  readonly botApi?: BotApi;
  /** Default: the store EVENT_STORE_URL names. close() closes an injected store as it closes an opened one. */
  readonly store?: EventStore;
  /** Default shutdownGraceMs. */
  readonly shutdownGraceMs?: number;
  /** Default requestBodyDeadlineMs (see buildApp). */
  readonly requestBodyDeadlineMs?: number;
  /** Default defaultCreateRateLimitPerMinute (see buildApp). */
  readonly createRateLimitPerMinute?: number;
};

/** Everything but the HTTP app: what a command that reads or writes the ledger needs. */
export type LedgerParts = {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The store as opened (or injected). */
  readonly rawStore: EventStore;
  /** The store everything writes through: rawStore, timing its appends into metrics. */
  readonly store: EventStore;
  readonly ledger: StarsLedger;
  readonly projections: ProjectionRunner;
  readonly metrics: Metrics;
  readonly botApi: BotApi;
  readonly webhook: WebhookService;
  readonly reactor: RefundReactor;
  readonly sweeper: PaymentExpirySweeper;
  /** Catches the read models up with the store, then starts the refund reactor and the expiry sweeper. */
  readonly start: () => Promise<void>;
  /** The one shutdown sequence; runs once, however often it is called. */
  readonly close: () => Promise<void>;
};

/** The whole service: the ledger's parts and the fastify app on them. */
export type Composed = LedgerParts & {
  readonly app: FastifyInstance;
  /** AUTH_SECRET, or in MOCK mode without it the development secret. */
  readonly authSecret: string;
};

/** The ledger's settings, from the configuration: built here and nowhere else. */
const ledgerSettings = (config: Config): LedgerSettings => ({
  starsToCreditsRate: config.STARS_TO_CREDITS_RATE,
  paymentTtlMs: config.PAYMENT_TTL,
  requireSameUser: config.REQUIRE_SAME_USER,
});

/** The store compose runs on: the injected one, else the one EVENT_STORE_URL names. */
export const openStore = async (
  config: Config,
  deps: Pick<ComposeDeps, "store">,
): Promise<Result<EventStore, OpenStoreError>> => {
  if (deps.store !== undefined) return ok(deps.store);
  const opened = await openEventStore(config);
  return opened.ok ? ok(opened.store) : err(opened.error);
};

/** Stops accepting and waits for in-flight requests, at most `graceMs`; then closes whatever connections remain. */
export const closeWithGrace = async (app: FastifyInstance, graceMs: number): Promise<void> => {
  const timer = setTimeout(() => {
    app.log.warn({ graceMs }, "Shutdown grace period over: closing the connections still open");
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
};

/** Runs every step in order even when one fails (the store is always closed), then throws the first failure. */
const stopInOrder = async (steps: readonly (() => Promise<unknown>)[]): Promise<void> => {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
};

type Wired = Omit<LedgerParts, "start" | "close">;

/**
 * start(), and the one shutdown sequence: the app (when there is one) with its grace period, the sweeper, the
 * reactor, the projections, the store.
 */
const lifecycle = (
  parts: Wired,
  app: FastifyInstance | undefined,
  graceMs: number,
): Pick<LedgerParts, "start" | "close"> => {
  let closing: Promise<void> | undefined;
  return {
    start: async () => {
      await parts.projections.start();
      await parts.reactor.start();
      parts.sweeper.start();
    },
    close: () => {
      closing ??= stopInOrder([
        ...(app === undefined ? [] : [() => closeWithGrace(app, graceMs)]),
        () => parts.sweeper.stop(),
        () => parts.reactor.stop(),
        () => parts.projections.stop(),
        () => parts.rawStore.close(),
      ]);
      return closing;
    },
  };
};

/** The read models, metrics, ledger, Bot API client, webhook service, refund reactor and expiry sweeper on one store. */
const wire = (rawStore: EventStore, config: Config, deps: ComposeDeps): Wired => {
  const { logger, now } = deps;
  const projections = createProjections(rawStore, {
    onModelStopped: (stop) => {
      logger.error(
        {
          model: stop.model,
          position: stop.position.toString(),
          checkpoint: stop.checkpoint.toString(),
          reason: stop.message,
        },
        "Projection stopped on an event it could not apply",
      );
    },
    onFailure: (failure) => {
      logger.error(
        { position: failure.position.toString(), reason: failure.message },
        "Projections stopped following the store",
      );
    },
  });
  const metrics = createMetrics(projections);
  const store = timedEventStore(rawStore, metrics.storeAppendSeconds);
  const ledger = new StarsLedger(store, ledgerSettings(config));
  const botApi = deps.botApi ?? createBotApiFromConfig(config, logger);
  const webhook = createWebhookService({
    ledger,
    botApi,
    logger,
    now,
    settings: {
      ...(config.WEBHOOK_SECRET === undefined ? {} : { webhookSecret: config.WEBHOOK_SECRET }),
      preCheckoutAnswer: config.PRE_CHECKOUT_ANSWER,
    },
  });
  const reactor = createRefundReactor({ store, ledger, botApi, logger, now });
  const sweeper = createPaymentExpirySweeper({
    ledger,
    findExpiredPending: (at, limit) => Promise.resolve(projections.payments.expiredPending(at, limit)),
    logger,
    now,
    intervalMs: config.EXPIRY_SWEEP_INTERVAL,
  });
  return { config, logger, now, rawStore, store, ledger, projections, metrics, botApi, webhook, reactor, sweeper };
};

/**
 * The ledger's parts without the HTTP app, for the commands that read or write the ledger (reconcile). Nothing runs
 * until start(); close() closes the store.
 */
export const composeLedger = async (
  config: Config,
  deps: ComposeDeps,
): Promise<Result<LedgerParts, OpenStoreError>> => {
  const opened = await openStore(config, deps);
  if (opened.isErr()) return err(opened.error);
  const wired = wire(opened.value, config, deps);
  return ok({ ...wired, ...lifecycle(wired, undefined, deps.shutdownGraceMs ?? shutdownGraceMs) });
};

/**
 * Builds the whole service once, from the settings: the store, the ledger, the read models, the refund reactor, the
 * expiry sweeper, the webhook service, the metrics and the fastify app. `serve` and the end-to-end tests run this,
 * so what is tested is what is served. Nothing runs until start(); close() stops it all.
 */
export const compose = async (config: Config, deps: ComposeDeps): Promise<Result<Composed, OpenStoreError>> => {
  const authSecret = resolveAuthSecret(config, deps.logger);
  const opened = await openStore(config, deps);
  if (opened.isErr()) return err(opened.error);
  const wired = wire(opened.value, config, deps);
  const graceMs = deps.shutdownGraceMs ?? shutdownGraceMs;
  let app: FastifyInstance;
  try {
    app = await buildApp(
      {
        config,
        store: wired.store,
        ledger: wired.ledger,
        projections: wired.projections,
        botApi: wired.botApi,
        webhook: wired.webhook,
        metrics: wired.metrics,
        now: deps.now,
        ...(deps.createRateLimitPerMinute === undefined
          ? {}
          : { createRateLimitPerMinute: deps.createRateLimitPerMinute }),
        auth: {
          authSecret,
          botToken: config.MASTER_BOT_TOKEN,
          adminUserIds: config.ADMIN_USER_IDS,
          initDataMaxAgeMs: config.INIT_DATA_MAX_AGE,
        },
      },
      {
        logger: deps.logger,
        ...(deps.requestBodyDeadlineMs === undefined ? {} : { requestBodyDeadlineMs: deps.requestBodyDeadlineMs }),
      },
    );
  } catch (error) {
    await lifecycle(wired, undefined, graceMs).close();
    throw error;
  }
  return ok({ ...wired, app, authSecret, ...lifecycle(wired, app, graceMs) });
};
