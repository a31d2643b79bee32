import { createPaymentExpirySweeper, parseConfig, StarsLedger, type Config } from "@starledger/core";
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
  /** Stop accepting, finish in-flight requests, stop the sweeper, reactors and projections, close the store. */
  readonly close: () => Promise<void>;
};

export const devTokenTtlMs = 24 * 60 * 60 * 1000;
export const devUserId = 1;

export const createLogger = (config: Pick<Config, "LOG_LEVEL">): Logger =>
  pino({
    level: config.LOG_LEVEL,
    redact: { paths: redactedLogPaths, censor: "[redacted]" },
    base: { service: "starledger" },
  });

/** Reads the settings, wires the real parts and listens. */
export const startServer = async (
  env: Readonly<Record<string, string | undefined>>,
  options: { logger?: Logger; now?: () => Date } = {},
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

  let authSecret = config.AUTH_SECRET;
  if (authSecret === undefined) {
    const dev = loadOrCreateDevSecret(dataDirectory(config.EVENT_STORE_URL));
    authSecret = dev.secret;
    logger.info(
      { path: dev.path, created: dev.created },
      "MOCK mode without AUTH_SECRET: using the generated development secret",
    );
  }

  const opened = await openEventStore(config);
  if (!opened.ok) return fail(opened.error.message);
  const rawStore = opened.store;
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

  try {
    await projections.start();
    await reactor.start();
  } catch (error) {
    await reactor.stop().catch(() => undefined);
    await projections.stop().catch(() => undefined);
    await rawStore.close();
    return fail(`Could not catch up with the event store: ${error instanceof Error ? error.message : String(error)}`);
  }
  sweeper.start();

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
    { logger },
  );
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    await app.close();
    await sweeper.stop();
    await reactor.stop();
    await projections.stop();
    await rawStore.close();
    return fail(
      `Could not listen on ${config.HOST}:${config.PORT}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.PORT;
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host}:${port}`;

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

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await app.close();
      await sweeper.stop();
      await reactor.stop();
      await projections.stop();
      await rawStore.close();
    })();
    return closing;
  };
  return { ok: true, server: { app, url, config, logger, banner, close } };
};
