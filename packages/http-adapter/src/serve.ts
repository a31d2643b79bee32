import { createPaymentExpirySweeper, parseConfig, StarsLedger, type Config, type EventStore } from "@starledger/core";
import { createProjections } from "@starledger/projections";
import {
  assertWebhookSecurity,
  createBotApiFromConfig,
  createRefundReactor,
  createWebhookService,
} from "@starledger/telegram-adapter";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { buildApp, redactedLogPaths } from "./app.js";
import { issueToken } from "./auth.js";
import { dataDirectory, loadOrCreateDevSecret } from "./dev-secret.js";
import { createMetrics } from "./metrics.js";
import { describeStoreUrl, openEventStore } from "./open-event-store.js";
import { timedEventStore } from "./timed-event-store.js";

export type StartupError = { readonly type: "StartupError"; readonly message: string };

export type RunningServer = {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly config: Config;
  readonly logger: Logger;
  /** Lines to show a person at start-up (mode, store, URLs, a dev token in MOCK mode). */
  readonly banner: readonly string[];
  /**
   * Stop accepting, finish in-flight requests (closing the connections still open after shutdownGraceMs), stop the
   * sweeper, reactors and projections, close the store.
   */
  readonly close: () => Promise<void>;
};

export const devTokenTtlMs = 24 * 60 * 60 * 1000;
export const devUserId = 1;
/**
 * How long shutdown lets in-flight requests finish before it closes the connections still open (a slow client, a
 * request stuck on Telegram), so SIGTERM always exits. Below the usual 30 s an orchestrator waits before SIGKILL.
 */
export const shutdownGraceMs = 10_000;

export type ServeOptions = {
  readonly logger?: Logger;
  /** The clock of the webhook, the routes, the refund reactor and the expiry sweeper. Default: the system clock. */
  readonly now?: () => Date;
  /** Default shutdownGraceMs. */
  readonly shutdownGraceMs?: number;
  /** Default requestBodyDeadlineMs (see buildApp). */
  readonly requestBodyDeadlineMs?: number;
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

export const createLogger = (config: Pick<Config, "LOG_LEVEL">): Logger =>
  pino({
    level: config.LOG_LEVEL,
    redact: { paths: redactedLogPaths, censor: "[redacted]" },
    base: { service: "starledger" },
  });

/** The ledger, read models, metrics, Bot API client, webhook service, refund reactor and expiry sweeper on one store. */
const wireParts = (rawStore: EventStore, config: Config, logger: Logger, now: () => Date) => {
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
  const ledger = new StarsLedger(store, {
    starsToCreditsRate: config.STARS_TO_CREDITS_RATE,
    paymentTtlMs: config.PAYMENT_TTL,
    requireSameUser: config.REQUIRE_SAME_USER,
  });
  const botApi = createBotApiFromConfig(config, logger);
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
  return { projections, metrics, store, ledger, botApi, webhook, reactor, sweeper };
};

/** AUTH_SECRET, or in MOCK mode without it the development secret kept in the data directory. */
const resolveAuthSecret = (config: Config, logger: Logger): string => {
  if (config.AUTH_SECRET !== undefined) return config.AUTH_SECRET;
  const dev = loadOrCreateDevSecret(dataDirectory(config.EVENT_STORE_URL));
  logger.info(
    { path: dev.path, created: dev.created },
    "MOCK mode without AUTH_SECRET: using the generated development secret",
  );
  return dev.secret;
};

/** Lines for a person: mode, store, URLs, and a dev token when the secret is the generated one. */
const startupBanner = async (config: Config, url: string, authSecret: string): Promise<string[]> => {
  const banner = [
    `starledger listening on ${url}`,
    `  mode:  ${config.PAYMENT_MODE}${config.PAYMENT_MODE === "MOCK" ? " (no Telegram calls)" : ""}`,
    `  store: ${describeStoreUrl(config.EVENT_STORE_URL)}`,
    `  docs:  ${url}/docs`,
  ];
  if (config.AUTH_SECRET === undefined) {
    const token = await issueToken({ userId: devUserId, admin: true, ttlMs: devTokenTtlMs }, authSecret);
    banner.push(
      `  dev token (user ${devUserId}, admin, 24 h):`,
      `  curl -H "Authorization: Bearer ${token}" ${url}/api/credits/balance`,
    );
  }
  return banner;
};

/** Reads the settings, wires the real parts and listens. */
export const startServer = async (
  env: Readonly<Record<string, string | undefined>>,
  options: ServeOptions = {},
): Promise<{ ok: true; server: RunningServer } | { ok: false; error: StartupError }> => {
  const fail = (message: string) => ({ ok: false as const, error: { type: "StartupError" as const, message } });
  const parsed = parseConfig(env);
  if (parsed.isErr()) return fail(parsed.error.message);
  const config = parsed.value;
  const security = assertWebhookSecurity(config);
  if (security.isErr()) return fail(security.error.message);
  if (config.PAYMENT_MODE === "REAL" && config.AUTH_SECRET === undefined) {
    return fail("AUTH_SECRET is required in REAL mode: at least 32 random characters that sign bearer tokens");
  }
  const logger = options.logger ?? createLogger(config);
  const now = options.now ?? (() => new Date());
  if (security.value.warning !== undefined) logger.warn(security.value.warning);

  const authSecret = resolveAuthSecret(config, logger);

  const opened = await openEventStore(config);
  if (!opened.ok) return fail(opened.error.message);
  const rawStore = opened.store;
  const { projections, metrics, store, ledger, botApi, webhook, reactor, sweeper } = wireParts(
    rawStore,
    config,
    logger,
    now,
  );
  /** The one shutdown sequence: the app (when it was built), the sweeper, the reactor, the projections, the store. */
  const stop = (app?: FastifyInstance): Promise<void> =>
    stopInOrder([
      ...(app === undefined ? [] : [() => closeWithGrace(app, options.shutdownGraceMs ?? shutdownGraceMs)]),
      () => sweeper.stop(),
      () => reactor.stop(),
      () => projections.stop(),
      () => rawStore.close(),
    ]);
  const failAndStop = async (message: string, app?: FastifyInstance) => {
    await stop(app).catch((error: unknown) => {
      logger.error({ err: error }, "Could not stop cleanly after a failed start");
    });
    return fail(message);
  };

  try {
    await projections.start();
    await reactor.start();
    sweeper.start();
  } catch (error) {
    return failAndStop(
      `Could not catch up with the event store: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const app = await buildApp(
    {
      config,
      store,
      ledger,
      projections,
      botApi,
      webhook,
      metrics,
      now,
      auth: {
        authSecret,
        botToken: config.MASTER_BOT_TOKEN,
        adminUserIds: config.ADMIN_USER_IDS,
        initDataMaxAgeMs: config.INIT_DATA_MAX_AGE,
      },
    },
    {
      logger,
      ...(options.requestBodyDeadlineMs === undefined ? {} : { requestBodyDeadlineMs: options.requestBodyDeadlineMs }),
    },
  );
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    return failAndStop(
      `Could not listen on ${config.HOST}:${config.PORT}: ${error instanceof Error ? error.message : String(error)}`,
      app,
    );
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.PORT;
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host}:${port}`;
  const banner = await startupBanner(config, url, authSecret);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= stop(app);
    return closing;
  };
  return { ok: true, server: { app, url, config, logger, banner, close } };
};
