import { setTimeout as sleep } from "node:timers/promises";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import {
  isTransientBotApiError,
  repeatSafeMethods,
  telegramError,
  type BotApiError,
  type BotApiMethod,
} from "./bot-api-errors.js";
import type { BotApiTransport, WireParams } from "./bot-api.js";
import { logDebug, type Logger } from "./logger.js";

export const defaultTelegramApiRoot = "https://api.telegram.org";
/** Every request gives up after this long (connect, send, answer). */
export const defaultRequestTimeoutMs = 10_000;
/** Retries after a 429, or after a 5xx/timeout/network error for a repeat-safe method. */
export const defaultMaxRetries = 3;
/** A retry_after longer than this is not waited for: the error goes back to the caller. */
export const defaultMaxRetryAfterMs = 30_000;
/** Backoff before retrying a 5xx/timeout/network error: base x 2^attempt, capped. */
export const retryBackoffBaseMs = 250;
export const retryBackoffMaxMs = 4_000;
/** A Bot API answer larger than this is refused (the largest, getStarTransactions, is far smaller). */
export const responseBytesMax = 4 * 1024 * 1024;

export type HttpTransportOptions = {
  readonly token: string;
  readonly apiRoot: string;
  readonly testEnvironment: boolean;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryAfterMs: number;
  readonly fetch: typeof fetch;
  readonly logger: Logger;
  /** Waits before a retry; default a timer. Tests pass one that records the wait instead of reading a clock. */
  readonly sleep?: (ms: number) => Promise<void>;
};

const Envelope = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error_code: z.number().int(),
    description: z.string().default(""),
    parameters: z.object({ retry_after: z.number().nonnegative().optional() }).optional(),
  }),
]);

/** Replaces the bot token (and its secret half, and its URL-encoded form) wherever it could appear. */
export const tokenScrubber = (token: string): ((text: string) => string) => {
  const secretHalf = token.includes(":") ? token.slice(token.indexOf(":") + 1) : "";
  const needles = [token, encodeURIComponent(token), secretHalf].filter((needle) => needle.length >= 8);
  return (text) => needles.reduce((scrubbed, needle) => scrubbed.split(needle).join("<redacted>"), text);
};

const readBounded = async (response: Response, maxBytes: number): Promise<string | undefined> => {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array | undefined };
    if (done || value === undefined) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
};

const describeCause = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (!(cause instanceof Error)) return error.message;
  const code = (cause as { code?: unknown }).code;
  return `${error.message} (${typeof code === "string" ? code : cause.message})`;
};

const isTimeout = (error: unknown): boolean =>
  error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");

/** REAL mode: POST JSON to {apiRoot}/bot{token}/[test/]{method}, with a timeout, 429 handling and bounded retries. */
export const httpTransport = (options: HttpTransportOptions): BotApiTransport => {
  const root = options.apiRoot.replace(/\/+$/, "");
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const scrub = tokenScrubber(options.token);
  const urlOf = (method: BotApiMethod): string =>
    `${root}/bot${options.token}/${options.testEnvironment ? "test/" : ""}${method}`;

  const attempt = async (method: BotApiMethod, params: WireParams): Promise<Result<unknown, BotApiError>> => {
    let text: string | undefined;
    let status: number;
    try {
      const response = await options.fetch(urlOf(method), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.status;
      text = await readBounded(response, responseBytesMax);
    } catch (error) {
      if (isTimeout(error)) {
        return err({
          type: "Timeout",
          method,
          timeoutMs: options.timeoutMs,
          message: `${method}: no answer from the Bot API within ${options.timeoutMs} ms`,
        });
      }
      return err({
        type: "NetworkError",
        method,
        message: scrub(`${method}: could not reach the Bot API: ${describeCause(error)}`),
      });
    }
    if (text === undefined) {
      return err({
        type: "BadResponse",
        method,
        httpStatus: status,
        message: `${method}: answer larger than ${responseBytesMax} bytes`,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return err({
        type: "BadResponse",
        method,
        httpStatus: status,
        message: `${method}: HTTP ${status} with a body that is not JSON`,
      });
    }
    const envelope = Envelope.safeParse(json);
    if (!envelope.success) {
      return err({
        type: "BadResponse",
        method,
        httpStatus: status,
        message: `${method}: HTTP ${status} without the Bot API envelope`,
      });
    }
    if (envelope.data.ok) return ok(envelope.data.result);
    const { error_code: errorCode, description, parameters } = envelope.data;
    return err(telegramError(method, errorCode, scrub(description), parameters?.retry_after));
  };

  return async (method, params) => {
    for (let retry = 0; ; retry++) {
      const startedMs = Date.now();
      const answered = await attempt(method, params);
      const outcome = answered.isOk() ? "ok" : answered.error.type;
      logDebug(
        options.logger,
        { method, attempt: retry + 1, durationMs: Date.now() - startedMs, outcome },
        "Bot API call",
      );
      if (answered.isOk() || retry >= options.maxRetries) return answered;
      const error = answered.error;

      if (error.type === "TelegramError" && error.errorCode === 429) {
        const waitMs = error.retryAfterSeconds === undefined ? backoffMs(retry) : error.retryAfterSeconds * 1000;
        if (waitMs > options.maxRetryAfterMs) return answered;
        options.logger.warn(
          { method, retryAfterSeconds: error.retryAfterSeconds, waitMs, attempt: retry + 1 },
          "Bot API rate limit; waiting before retrying",
        );
        await wait(waitMs);
        continue;
      }
      const transient = isTransientBotApiError(error);
      if (!transient || !repeatSafeMethods[method]) return answered;
      const waitMs = backoffMs(retry);
      options.logger.warn({ method, error: error.type, waitMs, attempt: retry + 1 }, "Bot API call failed; retrying");
      await wait(waitMs);
    }
  };
};

const backoffMs = (retry: number): number => Math.min(retryBackoffBaseMs * 2 ** retry, retryBackoffMaxMs);
