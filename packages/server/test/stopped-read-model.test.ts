import { randomUUID } from "node:crypto";
import { creditAccountDecider, creditsStream, type JsonObject } from "@starledger/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readyLagEventsMax } from "@starledger/http-adapter";
import { expectError, startTestApp, type CreatedPayment, type TestApp } from "./support/test-app.js";
import { successfulPaymentUpdate } from "./support/updates.js";

const ghostPaymentId = "00000000-0000-4000-8000-00000000dead";

/** Appends one event straight to the store, as a build that wrote something this one cannot apply would. */
const appendRaw = async (t: TestApp, stream: string, type: string, data: JsonObject): Promise<bigint> => {
  const appended = await t.memory.appendToStream(
    stream,
    [{ id: randomUUID(), type, data, metadata: { schemaVersion: 1 } }],
    "any",
  );
  if (appended.isErr()) throw new Error(JSON.stringify(appended.error));
  return appended.value.position;
};

/** A PaymentPaid for a payment that was never created: the payments model cannot explain it. */
const appendGhostPayment = (t: TestApp): Promise<bigint> =>
  appendRaw(t, `payment-${ghostPaymentId}`, "PaymentPaid", {
    paymentId: ghostPaymentId,
    userId: 77,
    telegramPaymentChargeId: "c-ghost",
    providerPaymentChargeId: "",
    totalAmount: 10,
    credits: 100,
    paidAt: new Date().toISOString(),
  });

/** Lets the read models that still run reach the store's head (a stopped one is not waited for). */
const followed = async (t: TestApp): Promise<void> => {
  const head = await t.memory.headPosition();
  if (head.isErr()) throw new Error("memory store failed");
  await t.projections.waitFor(head.value, 5_000);
};

const metricLine = (text: string, series: string): string | undefined =>
  text.split("\n").find((line) => line.startsWith(`${series} `));

let t: TestApp;
afterEach(async () => {
  await t.close();
});

describe("while the payments read model is stopped on an event it cannot apply", () => {
  let paid: CreatedPayment;
  let bad: bigint;
  beforeEach(async () => {
    t = await startTestApp();
    paid = await t.createPayment(42, { starsAmount: 10 });
    await t.pay(paid, { fromId: 42 });
    bad = await appendGhostPayment(t);
    await followed(t);
  });

  it("/ready stays 200 and names the stopped model, its position and why", async () => {
    const res = await t.call("GET", "/ready");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      ready: boolean;
      projections: {
        position: string;
        headPosition: string;
        lagEvents: number;
        lagEventsMax: number;
        models: Record<string, { position: string; stopped?: { position: string; message: string } }>;
      };
    }>();
    expect(body).toMatchObject({
      ready: true,
      store: "ok",
      projections: { position: String(bad), headPosition: String(bad), lagEvents: 0, lagEventsMax: readyLagEventsMax },
    });
    expect(body.projections.models).toEqual({
      balances: { position: String(bad) },
      payments: {
        position: String(bad - 1n),
        stopped: { position: String(bad), message: expect.stringMatching(/PaymentPaid .* never created/) as string },
      },
      unmatchedCharges: { position: String(bad) },
    });
  });

  it("history, the admin list, stats and payment answer 503 naming the model, its position, why and the README entry", async () => {
    for (const [url, user] of [
      ["/api/payments/history", { user: 42 }],
      ["/api/payments/admin/list", { user: 1, admin: true }],
      ["/api/payments/admin/stats", { user: 1, admin: true }],
      [`/api/payments/admin/${paid.paymentId}`, { user: 1, admin: true }],
    ] as const) {
      const body = expectError(await t.call("GET", url, user), 503, "ReadModelStopped");
      expect(body.message, url).toContain(`The payments read model stopped at position ${bad}`);
      expect(body.message, url).toMatch(/never created/);
      expect(body.message, url).toContain("See README: a stopped read model");
      expect(body.details, url).toEqual({ model: "payments", position: String(bad) });
    }
  });

  it("the balance keeps answering and stays current: a payment made after the stop is credited and shows", async () => {
    const later = await t.createPayment(42, { starsAmount: 25 });
    await t.pay(later, { fromId: 42 });
    const res = await t.call("GET", "/api/credits/balance", { user: 42 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ userId: 42, credits: 350 });
    expect((await t.call("GET", "/api/payments/config")).statusCode).toBe(200);
  });

  it("a command's answer does not wait for the stopped model: with the clock frozen, create, the webhook and an adjustment answer", async () => {
    // Any wait for the stopped model would hang here: its timer never fires while setTimeout is fake.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const created = await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } });
      expect(created.statusCode, created.body).toBe(201);
      const update = successfulPaymentUpdate(created.json<CreatedPayment>().paymentId, { fromId: 42 });
      expect((await t.webhookPost(update)).statusCode).toBe(200);
      const adjusted = await t.call("POST", "/api/credits/admin/adjust", {
        user: 1,
        admin: true,
        body: { userId: 42, delta: 5, reason: "support ticket 7" },
      });
      expect(adjusted.statusCode, adjusted.body).toBe(201);
      expect(adjusted.json()).toEqual({ userId: 42, delta: 5, credits: 205 });
    } finally {
      vi.useRealTimers();
    }
  }, 10_000);

  it("/metrics shows starledger_read_model_stopped 1 for payments and 0 for the others", async () => {
    const text = (await t.call("GET", "/metrics")).body;
    expect(metricLine(text, 'starledger_read_model_stopped{model="payments"}')).toMatch(/ 1$/);
    expect(metricLine(text, 'starledger_read_model_stopped{model="balances"}')).toMatch(/ 0$/);
    expect(metricLine(text, 'starledger_read_model_stopped{model="unmatchedCharges"}')).toMatch(/ 0$/);
    expect(metricLine(text, "starledger_projection_lag_events")).toMatch(/ 0$/);
  });
});

describe("while the balances read model is stopped", () => {
  beforeEach(async () => {
    t = await startTestApp();
    // Credits are whole numbers: no build of this ledger can apply a delta of 1.5.
    await appendRaw(t, "credits-42", "CreditsAdjusted", {
      userId: 42,
      delta: 1.5,
      reason: "imported",
      admin: "script",
      adjustedAt: new Date().toISOString(),
    });
    await followed(t);
  });

  it("the balance answers 503, history still answers, and an adjustment is recorded and answered with credits null", async () => {
    const body = expectError(await t.call("GET", "/api/credits/balance", { user: 42 }), 503, "ReadModelStopped");
    expect(body.message).toMatch(/^The balances read model stopped at position 1 .*delta/s);
    const payment = await t.createPayment(42, { starsAmount: 10 });
    const history = await t.call("GET", "/api/payments/history", { user: 42 });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json<{ payments: { paymentId: string }[] }>().payments.map((p) => p.paymentId)).toEqual([
      payment.paymentId,
    ]);
    const adjusted = await t.call("POST", "/api/credits/admin/adjust", {
      user: 1,
      admin: true,
      body: { userId: 43, delta: 5, reason: "support ticket 8" },
    });
    expect(adjusted.statusCode, adjusted.body).toBe(201);
    expect(adjusted.json()).toEqual({ userId: 43, delta: 5, credits: null });
    const recorded = await t.ledger.handler.load(creditAccountDecider, creditsStream(43));
    expect(recorded._unsafeUnwrap().state.adjustmentsTotal).toBe(5);
    expect((await t.call("GET", "/ready")).statusCode).toBe(200);
  });
});
