import { signInitData } from "@starledger/telegram-adapter";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, testAuthSecret, testBotToken, type TestApp } from "./support/test-app.js";
import { preCheckoutUpdate, successfulPaymentUpdate } from "./support/updates.js";

const webhookSecret = "s3cret-webhook-secret-value";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp({ env: { WEBHOOK_SECRET: webhookSecret }, logLevel: "trace" });
});
afterEach(async () => {
  await t.close();
});

const secretHeaders = { "x-telegram-bot-api-secret-token": webhookSecret };

describe("the runbook's log lines", () => {
  it("'Payment record created' carries the paymentId and userId", async () => {
    const payment = await t.createPayment(42);
    const [line, ...more] = t.logs.find("Payment record created");
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ level: 30, paymentId: payment.paymentId, userId: 42, starsAmount: 10, credits: 100 });
  });

  it("an idempotent retry of create logs no second 'Payment record created'", async () => {
    await t.createPayment(42, { starsAmount: 10 }, { "idempotency-key": "k1" });
    await t.createPayment(42, { starsAmount: 10 }, { "idempotency-key": "k1" });
    expect(t.logs.find("Payment record created")).toHaveLength(1);
  });

  it("'Pre-checkout approved' and 'Payment processed successfully' follow a paid payment", async () => {
    const payment = await t.createPayment(42);
    expect(
      (
        await t.webhookPost(preCheckoutUpdate(payment.paymentId, { fromId: 42, queryId: "q-log" }), secretHeaders)
      ).json(),
    ).toMatchObject({ ok: true });
    expect(
      (
        await t.webhookPost(
          successfulPaymentUpdate(payment.paymentId, { fromId: 42, chargeId: "c-log" }),
          secretHeaders,
        )
      ).statusCode,
    ).toBe(200);
    expect(t.logs.find("Pre-checkout approved")).toEqual([
      expect.objectContaining({ paymentId: payment.paymentId, queryId: "q-log", userId: 42 }),
    ]);
    expect(t.logs.find("Payment processed successfully")).toEqual([
      expect.objectContaining({ paymentId: payment.paymentId, chargeId: "c-log", userId: 42, credits: 100 }),
    ]);
  });

  it("'Payment marked as failed' on an amount mismatch", async () => {
    const payment = await t.createPayment(42);
    await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42, totalAmount: 11 }), secretHeaders);
    expect(t.logs.find("Payment marked as failed")).toEqual([
      expect.objectContaining({ paymentId: payment.paymentId, reason: "amount_mismatch", starsAmount: 11 }),
    ]);
    expect(t.logs.find("Payment processed successfully")).toHaveLength(0);
  });

  it("'Payment marked as failed' when the invoice cannot be created", async () => {
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked" });
    await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: 10 } });
    const [line] = t.logs.find("Payment marked as failed");
    expect(line).toMatchObject({ userId: 42, reason: "invoice_creation_failed" });
    expect(line?.paymentId).toEqual(expect.any(String));
  });
});

describe("secrets stay out of the logs", () => {
  it("no line holds a bearer token, initData, the bot token, the webhook secret or AUTH_SECRET", async () => {
    const token = await t.tokenFor(42);
    const adminToken = await t.tokenFor(1, true);
    const initData = signInitData(
      { user: JSON.stringify({ id: 43, first_name: "Bo" }), auth_date: String(Math.floor(Date.now() / 1000)) },
      testBotToken,
    );
    const payment = await t.createPayment(42);
    await t.call("GET", "/api/credits/balance", { authorization: `tma ${initData}` });
    await t.call("GET", "/api/credits/balance", { authorization: `Bearer ${token}x` });
    await t.call("GET", "/api/payments/admin/list", { user: 1, admin: true });
    await t.webhookPost(preCheckoutUpdate(payment.paymentId, { fromId: 42 }), secretHeaders);
    await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42 }), {
      "x-telegram-bot-api-secret-token": `${webhookSecret}-wrong`,
    });
    await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42 }), secretHeaders);

    const text = t.logs.raw.join("");
    expect(t.logs.raw.length).toBeGreaterThan(10);
    expect(t.logs.find("incoming request").length).toBeGreaterThan(0);
    for (const secret of [token, adminToken, initData, testBotToken, webhookSecret, testAuthSecret]) {
      expect(text).not.toContain(secret);
    }
    // the signature part alone is a credential too
    expect(text).not.toContain(token.split(".")[2]);
    expect(text).not.toContain(new URLSearchParams(initData).get("hash"));
  });
});
