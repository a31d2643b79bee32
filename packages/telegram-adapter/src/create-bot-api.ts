import { err } from "neverthrow";
import type { BotApi } from "./bot-api.js";
import { buildBotApi } from "./build-bot-api.js";
import type { TelegramConfig } from "./config.js";
import {
  defaultMaxRetries,
  defaultMaxRetryAfterMs,
  defaultRequestTimeoutMs,
  defaultTelegramApiRoot,
  httpTransport,
} from "./http-transport.js";
import { silentLogger, type Logger } from "./logger.js";
import { createMockBotApi } from "./mock-bot-api.js";

export type BotApiOptions = {
  readonly mode: "REAL" | "MOCK";
  /** MASTER_BOT_TOKEN; REAL mode without it answers every call with NotConfigured. */
  readonly token?: string;
  /** TELEGRAM_API_ROOT; default https://api.telegram.org. */
  readonly apiRoot?: string;
  /** TELEGRAM_TEST_ENV: use /bot<token>/test/<method>. */
  readonly testEnvironment?: boolean;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  readonly maxRetryAfterMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  /** How REAL mode waits before a retry (retry_after, backoff); default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
};

/** The runbook's troubleshooting message for a missing token. */
export const notConfiguredMessage = "Payment system not configured: MASTER_BOT_TOKEN is not set";

export const createBotApi = (options: BotApiOptions): BotApi => {
  const logger = options.logger ?? silentLogger;
  if (options.mode === "MOCK") return createMockBotApi({ logger });
  const token = options.token;
  if (token === undefined || token === "") {
    return buildBotApi("REAL", (method) =>
      Promise.resolve(err({ type: "NotConfigured", method, message: notConfiguredMessage })),
    );
  }
  return buildBotApi(
    "REAL",
    httpTransport({
      token,
      apiRoot: options.apiRoot ?? defaultTelegramApiRoot,
      testEnvironment: options.testEnvironment ?? false,
      timeoutMs: options.timeoutMs ?? defaultRequestTimeoutMs,
      maxRetries: options.maxRetries ?? defaultMaxRetries,
      maxRetryAfterMs: options.maxRetryAfterMs ?? defaultMaxRetryAfterMs,
      fetch: options.fetch ?? globalThis.fetch,
      logger,
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    }),
  );
};

/** The Bot API client the settings describe: PAYMENT_MODE, MASTER_BOT_TOKEN, TELEGRAM_API_ROOT, TELEGRAM_TEST_ENV. */
export const createBotApiFromConfig = (
  config: Pick<TelegramConfig, "PAYMENT_MODE" | "MASTER_BOT_TOKEN" | "TELEGRAM_API_ROOT" | "TELEGRAM_TEST_ENV">,
  logger?: Logger,
): BotApi =>
  createBotApi({
    mode: config.PAYMENT_MODE,
    ...(config.MASTER_BOT_TOKEN === undefined ? {} : { token: config.MASTER_BOT_TOKEN }),
    apiRoot: config.TELEGRAM_API_ROOT,
    testEnvironment: config.TELEGRAM_TEST_ENV,
    ...(logger === undefined ? {} : { logger }),
  });
