import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readyLagEventsMax } from "@starledger/http-adapter";
import { expectError, startTestApp, type TestApp } from "./support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const metricValue = (text: string, name: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`metric ${name} missing`);
  return Number(line.slice(name.length + 1));
};

describe("GET /api/payments/config", () => {
  it("lists the runbook's four packages, the rate, XTR and the mode, without auth", async () => {
    const res = await t.call("GET", "/api/payments/config");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      currency: "XTR",
      starsToCreditsRate: 10,
      mode: "MOCK",
      packages: [
        { id: "pkg_100", stars: 10, credits: 100, priceUsdApprox: expect.any(Number) as number },
        { id: "pkg_250", stars: 25, credits: 250, priceUsdApprox: expect.any(Number) as number },
        { id: "pkg_500", stars: 50, credits: 500, priceUsdApprox: expect.any(Number) as number },
        { id: "pkg_1000", stars: 100, credits: 1000, priceUsdApprox: expect.any(Number) as number },
      ],
    });
  });

  it("prices packages with STARS_TO_CREDITS_RATE", async () => {
    const other = await startTestApp({ env: { STARS_TO_CREDITS_RATE: "7" } });
    try {
      const body = (await other.call("GET", "/api/payments/config")).json<{
        starsToCreditsRate: number;
        packages: { stars: number; credits: number }[];
      }>();
      expect(body.starsToCreditsRate).toBe(7);
      expect(body.packages[0]).toMatchObject({ stars: 10, credits: 70 });
    } finally {
      await other.close();
    }
  });
});

/** Appends `count` adjustments to the store in one batch, as other instances' commands would. */
const appendAdjustments = async (count: number): Promise<void> => {
  const events = Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    type: "CreditsAdjusted",
    data: { userId: 7, delta: 1, reason: `load ${index}`, admin: "admin-1", adjustedAt: new Date().toISOString() },
    metadata: { schemaVersion: 1 },
  }));
  const appended = await t.memory.appendToStream("credits-7", events, "any");
  if (appended.isErr()) throw new Error(JSON.stringify(appended.error));
};

type ReadyBody = { ready: boolean; store: string; projections: { caughtUp: boolean; lagEvents: number | null } };

describe("GET /health and /ready", () => {
  it("health answers ok", async () => {
    const res = await t.call("GET", "/health");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("ready is 200 when the read models have caught up with the store", async () => {
    await t.createPayment(1);
    const res = await t.call("GET", "/ready");
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      ready: boolean;
      store: string;
      projections: { position: string; headPosition: string; caughtUp: boolean };
    }>();
    expect(body.ready).toBe(true);
    expect(body.store).toBe("ok");
    expect(body.projections.caughtUp).toBe(true);
    expect(body.projections.position).toBe(body.projections.headPosition);
  });

  it("ready stays 200 while the read models are a few events behind the store, as under ordinary load", async () => {
    // Each event reaches the read models 2 s late, so the store's head runs ahead of them.
    t.failing.subscriptionDelayMs = 2_000;
    await appendAdjustments(6);
    const res = await t.call("GET", "/ready");
    t.failing.subscriptionDelayMs = 0;
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<ReadyBody>();
    expect(body).toMatchObject({ ready: true, store: "ok", projections: { caughtUp: true } });
    expect(body.projections.lagEvents).toBeGreaterThan(0);
    expect(body.projections.lagEvents).toBeLessThanOrEqual(6);
  });

  it("ready is 503 once the read models are more than readyLagEventsMax behind the store", async () => {
    t.failing.subscriptionDelayMs = 2_000;
    await appendAdjustments(readyLagEventsMax + 5);
    const res = await t.call("GET", "/ready");
    t.failing.subscriptionDelayMs = 0;
    expect(res.statusCode, res.body).toBe(503);
    const body = res.json<ReadyBody>();
    expect(body).toMatchObject({ ready: false, store: "ok", projections: { caughtUp: true } });
    expect(body.projections.lagEvents).toBeGreaterThan(readyLagEventsMax);
  });

  it("ready is 503 while the projections do not follow the store (not caught up, or stopped)", async () => {
    await t.projections.stop();
    const res = await t.call("GET", "/ready");
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ ready: false, store: "ok", projections: { caughtUp: false } });
  });

  it("ready is 503 when the store is down, and health stays 200", async () => {
    t.failing.down = true;
    const res = await t.call("GET", "/ready");
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ ready: false, store: "unavailable" });
    expect((await t.call("GET", "/health")).statusCode).toBe(200);
  });
});

describe("GET /metrics", () => {
  it("the payment counters move after a payment is created and paid", async () => {
    const before = (await t.call("GET", "/metrics")).body;
    expect(metricValue(before, "starledger_payments_created_total")).toBe(0);
    expect(metricValue(before, "starledger_payments_paid_total")).toBe(0);

    const payment = await t.createPayment(1, { starsAmount: 25 });
    await t.pay(payment, { fromId: 1 });

    const res = await t.call("GET", "/metrics");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(metricValue(res.body, "starledger_payments_created_total")).toBe(1);
    expect(metricValue(res.body, "starledger_payments_paid_total")).toBe(1);
    expect(metricValue(res.body, "starledger_revenue_stars_total")).toBe(25);
    expect(metricValue(res.body, "starledger_credits_issued_total")).toBe(250);
    expect(metricValue(res.body, "starledger_projection_lag_events")).toBe(0);
  });

  it("exposes the webhook, pre-checkout and store-append latency histograms", async () => {
    const payment = await t.createPayment(1);
    await t.pay(payment, { fromId: 1 });
    const text = (await t.call("GET", "/metrics")).body;
    expect(text).toMatch(/^starledger_webhook_duration_seconds_bucket\{le="0\.001",outcome="ack"\} \d+$/m);
    expect(text).toMatch(/^starledger_webhook_duration_seconds_count\{outcome="ack"\} 1$/m);
    expect(text).toMatch(/^starledger_store_append_duration_seconds_count\{outcome="ok"\} [1-9]\d*$/m);
    expect(text).toContain("# TYPE starledger_pre_checkout_answer_duration_seconds histogram");
  });

  it("counts failed payments", async () => {
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked" });
    expectError(await t.call("POST", "/api/payments/create", { user: 1, body: { starsAmount: 10 } }), 502);
    expect(metricValue((await t.call("GET", "/metrics")).body, "starledger_payments_failed_total")).toBe(1);
  });
});

describe("GET /docs and /openapi.json", () => {
  it("the OpenAPI document lists every route of the runbook and the admin API", async () => {
    const res = await t.call("GET", "/openapi.json");
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /api/payments/config",
        "POST /api/payments/create",
        "GET /api/payments/history",
        "GET /api/credits/balance",
        "GET /api/payments/admin/list",
        "GET /api/payments/admin/stats",
        "GET /api/payments/admin/{id}",
        "POST /api/payments/admin/{id}/refund",
        "POST /api/credits/admin/adjust",
        "GET /api/events",
        "POST /master/webhook",
        "GET /health",
        "GET /ready",
        "GET /metrics",
      ]),
    );
  });

  it("the docs page is served as HTML", async () => {
    let res = await t.call("GET", "/docs");
    if (res.statusCode === 302) res = await t.call("GET", String(res.headers.location));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.body).toContain("swagger");
  });
});

describe("unknown routes", () => {
  it("answer 404 with {error, message}", async () => {
    const body = expectError(await t.call("GET", "/debug/nothing-here"), 404, "NotFound");
    expect(body.message).toContain("/debug/nothing-here");
  });
});
