import { issueToken } from "@starledger/http-adapter";
import { assertWebhookSecurity } from "@starledger/telegram-adapter";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { compose, type ComposeDeps } from "./compose.js";
import { parseConfig, type Config } from "./config.js";
import { createLogger } from "./logger.js";
import { describeStoreUrl } from "./open-event-store.js";

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

export type ServeOptions = Partial<Pick<ComposeDeps, "logger" | "now" | "shutdownGraceMs" | "requestBodyDeadlineMs">>;

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

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Reads the settings, composes the service, starts it and listens. */
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
  if (security.value.warning !== undefined) logger.warn(security.value.warning);

  const composed = await compose(config, { ...options, logger, now: options.now ?? (() => new Date()) });
  if (composed.isErr()) return fail(composed.error.message);
  const { app, authSecret, start, close } = composed.value;
  const failAndStop = async (message: string) => {
    await close().catch((error: unknown) => {
      logger.error({ err: error }, "Could not stop cleanly after a failed start");
    });
    return fail(message);
  };

  try {
    await start();
  } catch (error) {
    return failAndStop(`Could not catch up with the event store: ${errorText(error)}`);
  }
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    return failAndStop(`Could not listen on ${config.HOST}:${config.PORT}: ${errorText(error)}`);
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.PORT;
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host}:${port}`;
  const banner = await startupBanner(config, url, authSecret);
  return { ok: true, server: { app, url, config, logger, banner, close } };
};
