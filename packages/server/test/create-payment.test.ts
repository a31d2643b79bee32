import { createBotApi, mockInvoiceLink } from "@starledger/telegram-adapter";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { allEvents } from "@starledger/core/testing";
import { FakeBotApiServer, errorResult } from "@starledger/telegram-adapter/testing";
import { pendingPaymentsPerUserMax } from "@starledger/http-adapter";
import {
  expectError,
  ManualClock,
  startTestApp,
  testBotToken,
  type CreatedPayment,
  type TestApp,
} from "./support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /api/payments/create", () => {
  it("with {starsAmount: 10} answers 201 with a PENDING payment of pkg_100 and its invoice link", async () => {
    const res = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } });
    expect(res.statusCode).toBe(201);
    const body = res.json<CreatedPayment>();
    expect(body).toEqual({
      paymentId: expect.stringMatching(uuid) as string,
      status: "PENDING",
      packageId: "pkg_100",
      starsAmount: 10,
      credits: 100,
      invoiceLink: mockInvoiceLink(body.paymentId),
    });
    const invoiceCall = t.mock.calls.find((c) => c.method === "createInvoiceLink");
    expect(invoiceCall?.params).toMatchObject({ payload: body.paymentId, currency: "XTR", prices: [{ amount: 10 }] });
    expect(t.paymentView(body.paymentId)).toMatchObject({
      userId: 42,
      status: "PENDING",
      invoiceLink: body.invoiceLink,
    });
  });

  it("with {packageId} picks that package", async () => {
    const body = await t.createPayment(42, { packageId: "pkg_500" });
    expect(body).toMatchObject({ packageId: "pkg_500", starsAmount: 50, credits: 500 });
  });

  it("answers 400 listing the valid amounts when no package costs starsAmount", async () => {
    const body = expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 11 } }),
      400,
      "UnknownPackage",
    );
    expect(body.message).toContain("10, 25, 50, 100");
    expect(t.mock.calls).toHaveLength(0);
  });

  it("answers 400 for an unknown packageId, and for a packageId whose price differs from starsAmount", async () => {
    expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { packageId: "pkg_7" } }),
      400,
      "UnknownPackage",
    );
    expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { packageId: "pkg_100", starsAmount: 25 } }),
      400,
      "UnknownPackage",
    );
  });

  it("answers 400 for a body with neither field, an unknown field, or a non-integer amount", async () => {
    for (const body of [{}, { starsAmount: 10, extra: 1 }, { starsAmount: 10.5 }, { starsAmount: "10" }]) {
      expectError(await t.call("POST", "/api/payments/create", { user: 42, body }), 400, "InvalidRequest");
    }
    expect(await allEvents(t.memory)).toHaveLength(0);
  });
});

describe("POST /api/payments/create with an Idempotency-Key", () => {
  it("the same Idempotency-Key with the same body answers the same payment, and creates one", async () => {
    const headers = { "idempotency-key": "order-1" };
    const first = await t.createPayment(42, { starsAmount: 25 }, headers);
    const second = await t.createPayment(42, { starsAmount: 25 }, headers);
    expect(second).toEqual(first);
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentCreated")).toHaveLength(1);
    expect(t.mock.calls.filter((c) => c.method === "createInvoiceLink")).toHaveLength(1);
  });

  it("a replayed Idempotency-Key answers the payment as it is now: PAID once paid, REFUNDED once refunded, with its link", async () => {
    const headers = { "idempotency-key": "order-paid" };
    const first = await t.createPayment(42, { starsAmount: 10 }, headers);
    expect(first.status).toBe("PENDING");
    await t.pay(first);

    const afterPaid = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 }, headers });
    expect(afterPaid.statusCode, afterPaid.body).toBe(201);
    expect(afterPaid.json()).toEqual({ ...first, status: "PAID" });

    const admin = { user: 1, admin: true };
    expect((await t.call("POST", `/api/payments/admin/${first.paymentId}/refund`, admin)).statusCode).toBe(200);
    const afterRefund = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 }, headers });
    expect(afterRefund.json()).toEqual({ ...first, status: "REFUNDED" });
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentCreated")).toHaveLength(1);
    expect(t.mock.calls.filter((c) => c.method === "createInvoiceLink")).toHaveLength(1);
  });

  it("concurrent requests with the same Idempotency-Key all answer the same payment and link, created once", async () => {
    const headers = { "idempotency-key": "double-click" };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 }, headers }),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const bodies = answers.map((r) => r.json<CreatedPayment>());
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    const events = await allEvents(t.memory);
    expect(events.filter((e) => e.type === "PaymentCreated")).toHaveLength(1);
    expect(events.filter((e) => e.type === "InvoiceIssued")).toHaveLength(1);
  });

  it("the same Idempotency-Key from another user is another payment", async () => {
    const headers = { "idempotency-key": "order-1" };
    const mine = await t.createPayment(42, { starsAmount: 25 }, headers);
    const theirs = await t.createPayment(43, { starsAmount: 25 }, headers);
    expect(theirs.paymentId).not.toBe(mine.paymentId);
  });

  it("the same Idempotency-Key with a different body answers 422 and changes nothing", async () => {
    const headers = { "idempotency-key": "order-2" };
    await t.createPayment(42, { starsAmount: 10 }, headers);
    const before = await allEvents(t.memory);
    const res = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 50 }, headers });
    expectError(res, 422, "IdempotencyConflict");
    expect(await allEvents(t.memory)).toHaveLength(before.length);
  });

  it("an Idempotency-Key with spaces is refused with 400", async () => {
    expectError(
      await t.call("POST", "/api/payments/create", {
        user: 42,
        body: { starsAmount: 10 },
        headers: { "idempotency-key": "a b" },
      }),
      400,
      "InvalidRequest",
    );
  });
});

describe("POST /api/payments/create when Telegram cannot make the invoice", () => {
  it("when createInvoiceLink fails: 502 'Failed to create invoice' and the payment is recorded FAILED with invoice_creation_failed", async () => {
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked by the user" });
    const res = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } });
    const body = expectError(res, 502, "InvoiceCreationFailed");
    expect(body.message).toBe("Failed to create invoice");
    expect(JSON.stringify(body.details)).toContain("bot was blocked");

    const events = await allEvents(t.memory);
    expect(events.map((e) => e.type)).toEqual(["PaymentCreated", "PaymentFailed"]);
    expect(events[1]?.data).toMatchObject({ reason: "invoice_creation_failed" });
    const history = (await t.call("GET", "/api/payments/history", { user: 42 })).json<{
      payments: { status: string; failureReason?: string }[];
    }>();
    expect(history.payments).toEqual([
      expect.objectContaining({ status: "FAILED", failureReason: "invoice_creation_failed" }),
    ]);
  });

  it("a retry with the Idempotency-Key of a failed payment answers 502 again without calling Telegram", async () => {
    const headers = { "idempotency-key": "order-3" };
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked by the user" });
    expectError(await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 }, headers }), 502);
    const again = expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 }, headers }),
      502,
    );
    expect(again.message).toBe("Failed to create invoice");
    expect(t.mock.calls.filter((c) => c.method === "createInvoiceLink")).toHaveLength(1);
  });
});

describe("POST /api/payments/create: the per-user rate limit", () => {
  it("answers 429 after the per-user limit, while another user may still create", async () => {
    const limited = await startTestApp({ createRateLimitPerMinute: 2 });
    try {
      await limited.createPayment(7);
      await limited.createPayment(7);
      const body = expectError(
        await limited.call("POST", "/api/payments/create", { user: 7, body: { starsAmount: 10 } }),
        429,
        "TooManyRequests",
      );
      expect(body.message).toMatch(/at most 2 per minute/);
      await limited.createPayment(8);
    } finally {
      await limited.close();
    }
  });

  it("requests refused before the ledger (an unknown package, the pending cap) do not count against the limit", async () => {
    const limited = await startTestApp({ createRateLimitPerMinute: 2 });
    try {
      for (let i = 0; i < 5; i++) {
        const refused = await limited.call("POST", "/api/payments/create", { user: 7, body: { starsAmount: 11 } });
        expectError(refused, 400, "UnknownPackage");
      }
      await limited.createPayment(7);
      await limited.createPayment(7);
      expectError(
        await limited.call("POST", "/api/payments/create", { user: 7, body: { starsAmount: 10 } }),
        429,
        "TooManyRequests",
      );
    } finally {
      await limited.close();
    }
  });

  it("a user's counter is not forgotten when 5,000 other users create within the same minute", async () => {
    const limited = await startTestApp({ createRateLimitPerMinute: 2 });
    try {
      await limited.createPayment(7);
      await limited.createPayment(7);
      // 5,001 other callers reach the limiter; with the store down each is a quick 503 that writes nothing.
      limited.failing.down = true;
      const others = Array.from({ length: 5_001 }, (_, i) => 100_000 + i);
      for (let i = 0; i < others.length; i += 250) {
        const answers = await Promise.all(
          others
            .slice(i, i + 250)
            .map((userId) => limited.call("POST", "/api/payments/create", { user: userId, body: { starsAmount: 10 } })),
        );
        expect(answers.map((r) => r.statusCode).filter((status) => status !== 503)).toEqual([]);
      }
      limited.failing.down = false;
      expectError(
        await limited.call("POST", "/api/payments/create", { user: 7, body: { starsAmount: 10 } }),
        429,
        "TooManyRequests",
      );
    } finally {
      await limited.close();
    }
  }, 60_000);
});

describe("POST /api/payments/create when the store fails", () => {
  it("answers 422, not 503, and records nothing when the store refuses the data for good", async () => {
    t.failing.appendsRefused = true;
    const body = expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }),
      422,
      "InvalidEventData",
    );
    expect(body.message).toContain("refused");
    expect(await allEvents(t.memory)).toHaveLength(0);
    expect(t.failing.appendAttempts).toBe(1);
  });

  it("answers 503 and records nothing when the store is down", async () => {
    t.failing.down = true;
    expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }),
      503,
      "StoreUnavailable",
    );
    expect(await allEvents(t.memory)).toHaveLength(0);
    expect(t.mock.calls).toHaveLength(0);
  });
});

describe("POST /api/payments/create: at most 20 unpaid payments per user", () => {
  const fill = async (app: TestApp, userId: number) => {
    const payments: CreatedPayment[] = [];
    for (let i = 0; i < pendingPaymentsPerUserMax; i++) payments.push(await app.createPayment(userId));
    return payments;
  };

  it("the 21st unpaid payment answers 409 telling the user to pay or wait, records nothing and calls no Telegram", async () => {
    const [first] = await fill(t, 42);
    const events = (await allEvents(t.memory)).length;
    const invoices = t.mock.calls.length;
    const body = expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }),
      409,
      "TooManyPendingPayments",
    );
    expect(body.message).toContain("20 unpaid payments");
    expect(body.message).toContain("pay one of them or wait until one expires");
    expect((await allEvents(t.memory)).length).toBe(events);
    expect(t.mock.calls.length).toBe(invoices);

    await t.createPayment(43); // another user is not affected
    if (first === undefined) throw new Error("no payment");
    await t.pay(first);
    await t.createPayment(42); // paying one frees a place
  });

  it("a replayed Idempotency-Key still answers its payment when the user is at the cap", async () => {
    const headers = { "idempotency-key": "kept" };
    const kept = await t.createPayment(42, { starsAmount: 10 }, headers);
    for (let i = 1; i < pendingPaymentsPerUserMax; i++) await t.createPayment(42);
    expect(await t.createPayment(42, { starsAmount: 10 }, headers)).toEqual(kept);
  });

  it("payments past their expiry no longer count", async () => {
    const clock = new ManualClock();
    const app = await startTestApp({ now: clock.now, env: { PAYMENT_TTL: "1h" } });
    try {
      await fill(app, 42);
      expectError(await app.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }), 409);
      clock.advance(60 * 60 * 1000 + 1);
      await app.createPayment(42);
    } finally {
      await app.close();
    }
  });
});

describe("POST /api/payments/create with a REAL Bot API client", () => {
  const fake = new FakeBotApiServer();
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("sends createInvoiceLink to Telegram and answers with Telegram's link", async () => {
    const real = await startTestApp({
      botApi: createBotApi({ mode: "REAL", token: testBotToken, apiRoot: fake.root, maxRetries: 0 }),
    });
    try {
      const body = await real.createPayment(42, { starsAmount: 25 });
      expect(body.invoiceLink).toBe(`https://t.me/$fake_${body.paymentId}`);
      const sent = fake.callsOf("createInvoiceLink").at(-1);
      expect(sent?.path).toBe(`/bot${testBotToken}/createInvoiceLink`);
      expect(sent?.body).toMatchObject({ payload: body.paymentId, currency: "XTR", prices: [{ amount: 25 }] });
    } finally {
      await real.close();
    }
  });

  it("a Telegram server error answers 502 'Failed to create invoice' and records the payment FAILED", async () => {
    const real = await startTestApp({
      botApi: createBotApi({ mode: "REAL", token: testBotToken, apiRoot: fake.root, maxRetries: 0 }),
    });
    try {
      fake.queue("createInvoiceLink", errorResult(500, "Internal Server Error"));
      const body = expectError(
        await real.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }),
        502,
        "InvoiceCreationFailed",
      );
      expect(body.message).toBe("Failed to create invoice");
      const failed = (await allEvents(real.memory)).find((e) => e.type === "PaymentFailed");
      expect(failed?.data).toMatchObject({ reason: "invoice_creation_failed" });
    } finally {
      await real.close();
    }
  });

  it("REAL mode without a bot token answers 503 'Payment system not configured'", async () => {
    const unconfigured = await startTestApp({ botApi: createBotApi({ mode: "REAL" }) });
    try {
      const body = expectError(
        await unconfigured.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } }),
        503,
        "PaymentSystemNotConfigured",
      );
      expect(body.message).toBe("Payment system not configured: MASTER_BOT_TOKEN is not set");
    } finally {
      await unconfigured.close();
    }
  });
});
