import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBotApi, starsInvoice, type BotApi, type BotApiOptions } from "../src/index.js";
import { capturingLogger, type CapturingLogger } from "./support/capturing-logger.js";
import { errorResult, FakeBotApiServer, okResult } from "../src/testing/index.js";

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ";
const tokenSecretHalf = token.slice(token.indexOf(":") + 1);

let server: FakeBotApiServer;
let logger: CapturingLogger;

beforeEach(async () => {
  server = new FakeBotApiServer();
  await server.start();
  logger = capturingLogger();
});
afterEach(async () => {
  await server.stop();
});

const client = (options: Partial<BotApiOptions> = {}): BotApi =>
  createBotApi({ mode: "REAL", token, apiRoot: server.root, logger, timeoutMs: 2_000, ...options });

const expectNoTokenAnywhere = (...texts: string[]): void => {
  for (const text of [...texts, JSON.stringify(logger.entries)]) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(tokenSecretHalf);
  }
};

describe("REAL mode requests", () => {
  it("POSTs JSON to /bot<token>/<method> with exactly the documented parameters of each method", async () => {
    const api = client();
    const invoice = starsInvoice({
      title: "100 credits",
      description: "Credits for the agent factory",
      payload: "pay-1",
      starsAmount: 10,
    });
    expect((await api.createInvoiceLink(invoice))._unsafeUnwrap()).toBe("https://t.me/$fake_pay-1");
    (await api.answerPreCheckoutQuery({ preCheckoutQueryId: "q1", ok: true }))._unsafeUnwrap();
    (await api.answerPreCheckoutQuery({ preCheckoutQueryId: "q2", ok: false, errorMessage: "No." }))._unsafeUnwrap();
    (await api.refundStarPayment({ userId: 42, telegramPaymentChargeId: "ch-1" }))._unsafeUnwrap();
    (await api.getStarTransactions({ offset: 200 }))._unsafeUnwrap();
    expect((await api.getMyStarBalance())._unsafeUnwrap()).toEqual({ starsAmount: 42, nanostarAmount: 0 });
    (
      await api.setWebhook({
        url: "https://example.org/master/webhook",
        secretToken: "abc_DEF-123",
        dropPendingUpdates: true,
      })
    )._unsafeUnwrap();
    (await api.getWebhookInfo())._unsafeUnwrap();
    (await api.deleteWebhook())._unsafeUnwrap();

    expect(server.requests.map((r) => [r.path, r.body])).toEqual([
      [
        `/bot${token}/createInvoiceLink`,
        {
          title: "100 credits",
          description: "Credits for the agent factory",
          payload: "pay-1",
          provider_token: "",
          currency: "XTR",
          prices: [{ label: "100 credits", amount: 10 }],
        },
      ],
      [`/bot${token}/answerPreCheckoutQuery`, { pre_checkout_query_id: "q1", ok: true }],
      [`/bot${token}/answerPreCheckoutQuery`, { pre_checkout_query_id: "q2", ok: false, error_message: "No." }],
      [`/bot${token}/refundStarPayment`, { user_id: 42, telegram_payment_charge_id: "ch-1" }],
      [`/bot${token}/getStarTransactions`, { offset: 200, limit: 100 }],
      [`/bot${token}/getMyStarBalance`, {}],
      [
        `/bot${token}/setWebhook`,
        {
          url: "https://example.org/master/webhook",
          secret_token: "abc_DEF-123",
          allowed_updates: ["message", "pre_checkout_query"],
          drop_pending_updates: true,
        },
      ],
      [`/bot${token}/getWebhookInfo`, {}],
      [`/bot${token}/deleteWebhook`, {}],
    ]);
    expect(new Set(server.requests.map((r) => r.contentType))).toEqual(new Set(["application/json"]));
  });

  it("uses /bot<token>/test/<method> in the test environment", async () => {
    (await client({ testEnvironment: true }).getMyStarBalance())._unsafeUnwrap();
    expect(server.requests[0]?.path).toBe(`/bot${token}/test/getMyStarBalance`);
  });

  it("reads star transactions and webhook info into typed values", async () => {
    server.queue(
      "getStarTransactions",
      okResult({
        transactions: [
          {
            id: "ch-1",
            amount: 10,
            date: 1764115200,
            source: { type: "user", user: { id: 7, is_bot: false, first_name: "A" }, invoice_payload: "p1" },
          },
          {
            id: "ch-1",
            amount: 10,
            nanostar_amount: 5,
            date: 1764118800,
            receiver: { type: "user", user: { id: 7, is_bot: false, first_name: "A" } },
          },
        ],
      }),
    );
    server.queue(
      "getWebhookInfo",
      okResult({
        url: "https://x.org/h",
        has_custom_certificate: false,
        pending_update_count: 3,
        last_error_date: 1764115200,
        last_error_message: "Wrong response",
      }),
    );
    const api = client();
    expect((await api.getStarTransactions())._unsafeUnwrap()).toEqual([
      {
        id: "ch-1",
        starsAmount: 10,
        nanostarAmount: 0,
        date: new Date(1764115200_000),
        source: { type: "user", userId: 7, invoicePayload: "p1" },
        receiver: undefined,
      },
      {
        id: "ch-1",
        starsAmount: 10,
        nanostarAmount: 5,
        date: new Date(1764118800_000),
        source: undefined,
        receiver: { type: "user", userId: 7, invoicePayload: undefined },
      },
    ]);
    expect((await api.getWebhookInfo())._unsafeUnwrap()).toMatchObject({
      url: "https://x.org/h",
      pendingUpdateCount: 3,
      lastErrorDate: new Date(1764115200_000),
      lastErrorMessage: "Wrong response",
    });
  });

  it("getAllStarTransactions pages by offset, 100 at a time, until a short page", async () => {
    const page = (from: number, count: number) =>
      okResult({
        transactions: Array.from({ length: count }, (_, i) => ({ id: `t${from + i}`, amount: 1, date: 1764115200 })),
      });
    server.queue("getStarTransactions", page(0, 100), page(100, 100), page(200, 7));
    const all = (await client().getAllStarTransactions())._unsafeUnwrap();
    expect(all.complete).toBe(true);
    expect(all.transactions).toHaveLength(207);
    expect(server.callsOf("getStarTransactions").map((r) => r.body)).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
      { offset: 200, limit: 100 },
    ]);
  });

  it("getAllStarTransactions stops at maxPages and says the list is incomplete", async () => {
    const full = okResult({
      transactions: Array.from({ length: 100 }, (_, i) => ({ id: `t${i}`, amount: 1, date: 1 })),
    });
    server.queue("getStarTransactions", full, full, full);
    const all = (await client().getAllStarTransactions({ maxPages: 2 }))._unsafeUnwrap();
    expect(all).toMatchObject({ complete: false });
    expect(all.transactions).toHaveLength(200);
    expect(server.callsOf("getStarTransactions")).toHaveLength(2);
  });
});

describe("REAL mode failures", () => {
  it("waits retry_after seconds on a 429 and then succeeds", async () => {
    server.queue("refundStarPayment", errorResult(429, "Too Many Requests: retry after 1", { retry_after: 1 }));
    // The wait is recorded, not slept: each entry is how long it waited and how many calls Telegram had seen by then.
    const waits: { ms: number; callsBefore: number }[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push({ ms, callsBefore: server.callsOf("refundStarPayment").length });
      return Promise.resolve();
    };
    (await client({ sleep }).refundStarPayment({ userId: 42, telegramPaymentChargeId: "ch-429" }))._unsafeUnwrap();
    expect(waits).toEqual([{ ms: 1_000, callsBefore: 1 }]);
    expect(server.callsOf("refundStarPayment")).toHaveLength(2);
    expect(logger.messages("warn")).toContain("Bot API rate limit; waiting before retrying");
  });

  it("gives up on 429s after the bounded number of retries", async () => {
    const limited = errorResult(429, "Too Many Requests: retry after 0", { retry_after: 0 });
    server.queue("getMyStarBalance", limited, limited, limited);
    const error = (await client({ maxRetries: 2 }).getMyStarBalance())._unsafeUnwrapErr();
    expect(error).toMatchObject({ type: "TelegramError", errorCode: 429, retryAfterSeconds: 0 });
    expect(server.callsOf("getMyStarBalance")).toHaveLength(3);
  });

  it("does not wait a retry_after longer than the cap", async () => {
    server.queue("getMyStarBalance", errorResult(429, "Too Many Requests: retry after 3600", { retry_after: 3600 }));
    const error = (await client().getMyStarBalance())._unsafeUnwrapErr();
    expect(error).toMatchObject({ type: "TelegramError", errorCode: 429, retryAfterSeconds: 3600 });
    expect(server.callsOf("getMyStarBalance")).toHaveLength(1);
  });

  it("times out when the Bot API never answers", async () => {
    server.queue("getWebhookInfo", { hang: true });
    // The server never answers, so only the request's own timeout can end the call: no clock needs reading.
    const error = (await client({ timeoutMs: 200, maxRetries: 0 }).getWebhookInfo())._unsafeUnwrapErr();
    expect(error).toMatchObject({ type: "Timeout", method: "getWebhookInfo", timeoutMs: 200 });
    expect(server.callsOf("getWebhookInfo")).toHaveLength(1);
    expectNoTokenAnywhere(error.message);
  });

  it("retries a repeat-safe call after a timeout and a 5xx", async () => {
    server.queue("getMyStarBalance", { hang: true }, errorResult(502, "Bad Gateway"));
    expect((await client({ timeoutMs: 200 }).getMyStarBalance())._unsafeUnwrap()).toEqual({
      starsAmount: 42,
      nanostarAmount: 0,
    });
    expect(server.callsOf("getMyStarBalance")).toHaveLength(3);
  });

  it("returns Telegram's ok:false as a typed error with error_code and description, without retrying a 400", async () => {
    server.queue("refundStarPayment", errorResult(400, "Bad Request: CHARGE_ALREADY_REFUNDED"));
    const error = (
      await client().refundStarPayment({ userId: 42, telegramPaymentChargeId: "ch-1" })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      type: "TelegramError",
      method: "refundStarPayment",
      errorCode: 400,
      description: "Bad Request: CHARGE_ALREADY_REFUNDED",
    });
    expect(server.callsOf("refundStarPayment")).toHaveLength(1);
  });

  it("turns a body that is not the Bot API envelope into BadResponse", async () => {
    server.queue("getMyStarBalance", { status: 404, text: "<html>Not Found</html>" });
    expect((await client().getMyStarBalance())._unsafeUnwrapErr()).toMatchObject({
      type: "BadResponse",
      httpStatus: 404,
    });
    server.queue("getMyStarBalance", okResult({ stars: "lots" }));
    expect((await client().getMyStarBalance())._unsafeUnwrapErr()).toMatchObject({
      type: "BadResponse",
      method: "getMyStarBalance",
    });
  });

  it("never puts the token in an error message or a log line, even when Telegram or the network echo it", async () => {
    server.queue("setWebhook", errorResult(400, `Bad Request: bad webhook for /bot${token}/setWebhook`));
    server.queue("getMyStarBalance", errorResult(401, `Unauthorized ${tokenSecretHalf}`));
    const api = client({ maxRetries: 1 });
    const texts: string[] = [];
    const failed = (await api.setWebhook({ url: "https://example.org/hook" }))._unsafeUnwrapErr();
    texts.push(failed.message, JSON.stringify(failed));
    const unauthorized = (await api.getMyStarBalance())._unsafeUnwrapErr();
    texts.push(unauthorized.message, JSON.stringify(unauthorized));

    server.queue("getWebhookInfo", { hang: true }, { hang: true });
    const timedOut = (await client({ timeoutMs: 100, maxRetries: 1 }).getWebhookInfo())._unsafeUnwrapErr();
    texts.push(JSON.stringify(timedOut));

    const closed = new FakeBotApiServer();
    await closed.start();
    await closed.stop();
    const unreachable = createBotApi({ mode: "REAL", token, apiRoot: closed.root, logger, maxRetries: 1 });
    const network = (await unreachable.getMyStarBalance())._unsafeUnwrapErr();
    expect(network).toMatchObject({
      type: "NetworkError",
      message: expect.stringContaining("ECONNREFUSED") as unknown,
    });
    texts.push(JSON.stringify(network));

    expect(logger.entries.length).toBeGreaterThan(0);
    expectNoTokenAnywhere(...texts);
  });

  it("answers NotConfigured with the runbook's message when REAL mode has no token", async () => {
    const api = createBotApi({ mode: "REAL", apiRoot: server.root });
    expect((await api.getMyStarBalance())._unsafeUnwrapErr()).toEqual({
      type: "NotConfigured",
      method: "getMyStarBalance",
      message: "Payment system not configured: MASTER_BOT_TOKEN is not set",
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe("validation before sending", () => {
  const base = starsInvoice({ title: "100 credits", description: "Credits", payload: "pay-1", starsAmount: 10 });
  const badInvoices: [string, unknown, string][] = [
    ["an empty title", { ...base, title: "" }, "title"],
    ["a 33-character title", { ...base, title: "x".repeat(33) }, "title"],
    ["a 256-character description", { ...base, description: "d".repeat(256) }, "description"],
    ["a 129-byte payload", { ...base, payload: "p".repeat(129) }, "payload"],
    ["a payload of 65 two-byte characters", { ...base, payload: "é".repeat(65) }, "payload"],
    ["a currency other than XTR", { ...base, currency: "USD" }, "currency"],
    ["a provider token", { ...base, providerToken: "284685063:TEST:abc" }, "provider_token"],
    [
      "two prices",
      {
        ...base,
        prices: [
          { label: "a", amount: 5 },
          { label: "b", amount: 5 },
        ],
      },
      "exactly one",
    ],
    ["no price", { ...base, prices: [] }, "exactly one"],
    ["a fractional amount", { ...base, prices: [{ label: "a", amount: 1.5 }] }, "prices"],
  ];

  it.each(badInvoices)("refuses an invoice with %s and sends nothing", async (_, invoice, mentions) => {
    const error = (
      await client().createInvoiceLink(invoice as Parameters<BotApi["createInvoiceLink"]>[0])
    )._unsafeUnwrapErr();
    expect(error.type).toBe("InvalidRequest");
    expect(error.message).toContain(mentions);
    expect(server.requests).toHaveLength(0);
  });

  it("accepts the limits themselves: 32-character title, 255-character description, 128-byte payload", async () => {
    const invoice = { ...base, title: "t".repeat(32), description: "d".repeat(255), payload: "p".repeat(128) };
    expect((await client().createInvoiceLink(invoice)).isOk()).toBe(true);
  });

  it("refuses a refused pre-checkout answer without an error message, a bad secret token and a page over 100", async () => {
    const api = client();
    expect((await api.answerPreCheckoutQuery({ preCheckoutQueryId: "q", ok: false }))._unsafeUnwrapErr().type).toBe(
      "InvalidRequest",
    );
    expect((await api.setWebhook({ url: "https://x.org/h", secretToken: "has space" }))._unsafeUnwrapErr().type).toBe(
      "InvalidRequest",
    );
    expect((await api.setWebhook({ url: "ftp://x.org/h" }))._unsafeUnwrapErr().type).toBe("InvalidRequest");
    expect((await api.getStarTransactions({ limit: 101 }))._unsafeUnwrapErr().type).toBe("InvalidRequest");
    expect(server.requests).toHaveLength(0);
  });
});
