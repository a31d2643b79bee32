import { InMemoryEventStore, type PaymentStatus } from "@starledger/core";
import { FaultyEventStore } from "@starledger/core/testing";
import { issueToken, redactedLogPaths } from "@starledger/http-adapter";
import type { PaymentView } from "@starledger/projections";
import { createMockBotApi, type BotApi, type MockBotApi } from "@starledger/telegram-adapter";
import type { LightMyRequestResponse } from "fastify";
import { pino } from "pino";
import { expect } from "vitest";
import { compose, parseConfig } from "../../src/index.js";
import { defaultPayerId, successfulPaymentUpdate } from "./updates.js";

/** Known secrets, so tests can sign tokens and look for leaks. */
export const testAuthSecret = "test-auth-secret-0123456789-abcdefghijklmnop";
export const testBotToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
/** In ADMIN_USER_IDS: an admin by configuration, without the token role. */
export const configuredAdminId = 900;

export type LogLine = { readonly level: number; readonly msg: string; readonly [field: string]: unknown };

/** A pino destination that keeps every line, raw and parsed. */
export class LogCapture {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }
  lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine);
  }
  find(msg: string): LogLine[] {
    return this.lines().filter((line) => line.msg === msg);
  }
}

export const captureLogger = (level = "debug"): { logger: pino.Logger; logs: LogCapture } => {
  const logs = new LogCapture();
  const logger = pino({ level, redact: { paths: redactedLogPaths, censor: "[redacted]" } }, logs);
  return { logger, logs };
};

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public ms: number = Date.now()) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export type TestAppOptions = {
  /** Settings on top of MOCK mode, memory:, the test AUTH_SECRET and bot token, ADMIN_USER_IDS=900. */
  readonly env?: Readonly<Record<string, string>>;
  readonly createRateLimitPerMinute?: number;
  /** Default: a MockBotApi (see `mock`). */
  readonly botApi?: BotApi;
  readonly now?: () => Date;
  /** pino level of the captured log; default debug. */
  readonly logLevel?: string;
  /** buildApp's request deadline (default requestBodyDeadlineMs). */
  readonly requestBodyDeadlineMs?: number;
};

export type CallOptions = {
  /** Sends a bearer token for this user. */
  readonly user?: number;
  readonly admin?: boolean;
  /** A raw Authorization header (wins over `user`). */
  readonly authorization?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
};

export type CreatedPayment = {
  paymentId: string;
  status: PaymentStatus;
  packageId: string;
  starsAmount: number;
  credits: number;
  invoiceLink: string;
};

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;

/**
 * The app `serve` runs, composed the same way (store, ledger, read models, refund reactor, expiry sweeper, webhook,
 * metrics) and started, on an in-memory store the test can make fail, a clock and a Bot API of the test's, and a
 * captured log.
 */
const composeForTest = async (options: TestAppOptions, now: () => Date) => {
  const parsed = parseConfig({
    PAYMENT_MODE: "MOCK",
    EVENT_STORE_URL: "memory:",
    AUTH_SECRET: testAuthSecret,
    MASTER_BOT_TOKEN: testBotToken,
    ADMIN_USER_IDS: String(configuredAdminId),
    ...options.env,
  });
  if (parsed.isErr()) throw new Error(parsed.error.message);
  const { logger, logs } = captureLogger(options.logLevel);
  const memory = new InMemoryEventStore();
  const failing = new FaultyEventStore(memory);
  const mock: MockBotApi = createMockBotApi();
  const composed = await compose(parsed.value, {
    logger,
    now,
    store: failing,
    botApi: options.botApi ?? mock,
    ...(options.createRateLimitPerMinute === undefined
      ? {}
      : { createRateLimitPerMinute: options.createRateLimitPerMinute }),
    ...(options.requestBodyDeadlineMs === undefined ? {} : { requestBodyDeadlineMs: options.requestBodyDeadlineMs }),
  });
  if (composed.isErr()) throw new Error(composed.error.message);
  // Started as serve starts it; a test that needs a sweep now calls sweeper.sweepOnce().
  await composed.value.start();
  return { ...composed.value, memory, failing, mock, logs };
};

/** Requests through app.inject() as a user, an admin or Telegram, and waits for the read models. */
const requestHelpers = (
  { app, memory, projections }: Pick<Awaited<ReturnType<typeof composeForTest>>, "app" | "memory" | "projections">,
  now: () => Date,
) => {
  const tokens = new Map<string, string>();
  const tokenFor = async (userId: number, admin = false): Promise<string> => {
    const key = `${userId}:${admin}`;
    let token = tokens.get(key);
    if (token === undefined) {
      // Long enough for tests that move a manual clock by days.
      token = await issueToken({ userId, admin, ttlMs: 30 * 24 * 60 * 60 * 1000, now: now() }, testAuthSecret);
      tokens.set(key, token);
    }
    return token;
  };

  const call = async (
    method: "GET" | "POST",
    url: string,
    callOptions: CallOptions = {},
  ): Promise<LightMyRequestResponse> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.authorization !== undefined) headers.authorization = callOptions.authorization;
    else if (callOptions.user !== undefined)
      headers.authorization = `Bearer ${await tokenFor(callOptions.user, callOptions.admin ?? false)}`;
    return app.inject({
      method,
      url,
      headers,
      ...(callOptions.body === undefined ? {} : { payload: callOptions.body as Record<string, unknown> }),
    });
  };

  /** Resolves once the read models hold everything the store has. */
  const settled = async (): Promise<void> => {
    const head = await memory.headPosition();
    if (head.isErr()) throw new Error("memory store failed");
    if (!(await projections.waitFor(head.value, 5_000))) throw new Error("projections did not catch up within 5 s");
  };

  const createPayment = async (
    userId: number,
    body: unknown = { starsAmount: 10 },
    headers: Record<string, string> = {},
  ): Promise<CreatedPayment> => {
    const res = await call("POST", "/api/payments/create", { user: userId, body, headers });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedPayment>();
  };

  const webhookPost = (update: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    call("POST", "/master/webhook", { body: update, headers });

  /** Delivers a successful_payment for the payment and waits for the read models to show it. */
  const pay = async (
    payment: { paymentId: string; starsAmount: number },
    options: { fromId?: number; chargeId?: string } = {},
  ): Promise<void> => {
    const res = await webhookPost(
      successfulPaymentUpdate(payment.paymentId, {
        totalAmount: payment.starsAmount,
        fromId: options.fromId ?? defaultPayerId,
        ...(options.chargeId === undefined ? {} : { chargeId: options.chargeId }),
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    await settled();
  };

  const paymentView = (paymentId: string): PaymentView | undefined => projections.payments.get(paymentId);

  return { tokenFor, call, settled, createPayment, webhookPost, pay, paymentView };
};

/** The served app on in-memory parts (see composeForTest), with request helpers; close() stops it all. */
export const startTestApp = async (options: TestAppOptions = {}) => {
  const now = options.now ?? (() => new Date());
  const service = await composeForTest(options, now);
  const { app, config, memory, failing, store, ledger, projections, sweeper, reactor, metrics, mock, botApi, logs } =
    service;
  return {
    app,
    config,
    memory,
    failing,
    store,
    ledger,
    projections,
    sweeper,
    reactor,
    metrics,
    mock,
    botApi,
    logs,
    ...requestHelpers(service, now),
    close: service.close,
  };
};

/** Every error body is {error, message}; returns it for further checks. */
export const expectError = (
  res: LightMyRequestResponse,
  status: number,
  error?: string,
): { error: string; message: string; details?: unknown } => {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ error: unknown; message: unknown; details?: unknown }>();
  expect(typeof body.error).toBe("string");
  expect(typeof body.message).toBe("string");
  expect((body.message as string).length).toBeGreaterThan(0);
  if (error !== undefined) expect(body.error).toBe(error);
  return body as { error: string; message: string; details?: unknown };
};
