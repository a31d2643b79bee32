import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allEvents } from "@starledger/core/testing";
import { expectError, startTestApp, type TestApp } from "./support/test-app.js";
import { eventually } from "./support/http-client.js";
import {
  defaultPayerId,
  preCheckoutUpdate,
  runbookSimulatedPayment,
  successfulPaymentUpdate,
} from "./support/updates.js";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const secretHeader = "x-telegram-bot-api-secret-token";

describe("POST /master/webhook: pre_checkout_query", () => {
  it("approves a pending payment in the reply body, without a separate Bot API call", async () => {
    const payment = await t.createPayment(42);
    const res = await t.webhookPost(preCheckoutUpdate(payment.paymentId, { queryId: "q-1", fromId: 42 }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ method: "answerPreCheckoutQuery", pre_checkout_query_id: "q-1", ok: true });
    expect(t.mock.calls.filter((c) => c.method === "answerPreCheckoutQuery")).toHaveLength(0);
    expect((await allEvents(t.memory)).map((e) => e.type)).toContain("PreCheckoutApproved");
  });

  it("refuses a wrong amount with ok:false and an error_message, and records no approval", async () => {
    const payment = await t.createPayment(42);
    const res = await t.webhookPost(
      preCheckoutUpdate(payment.paymentId, { queryId: "q-2", fromId: 42, totalAmount: 9 }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json<{ method: string; pre_checkout_query_id: string; ok: boolean; error_message?: string }>();
    expect(body).toMatchObject({ method: "answerPreCheckoutQuery", pre_checkout_query_id: "q-2", ok: false });
    expect(body.error_message).toEqual(expect.any(String));
    expect(body.error_message?.length).toBeGreaterThan(0);
    expect((await allEvents(t.memory)).map((e) => e.type)).not.toContain("PreCheckoutApproved");
  });

  it("refuses a payment that does not exist, and another user's payment", async () => {
    const unknown = await t.webhookPost(preCheckoutUpdate("00000000-0000-4000-8000-000000000000", { queryId: "q-3" }));
    expect(unknown.json()).toMatchObject({ pre_checkout_query_id: "q-3", ok: false });
    const payment = await t.createPayment(42);
    const other = await t.webhookPost(preCheckoutUpdate(payment.paymentId, { queryId: "q-4", fromId: 43 }));
    expect(other.json()).toMatchObject({ pre_checkout_query_id: "q-4", ok: false });
  });

  it("with PRE_CHECKOUT_ANSWER=api answers through answerPreCheckoutQuery and acknowledges with {}", async () => {
    const api = await startTestApp({ env: { PRE_CHECKOUT_ANSWER: "api" } });
    try {
      const payment = await api.createPayment(42);
      const res = await api.webhookPost(preCheckoutUpdate(payment.paymentId, { queryId: "q-5", fromId: 42 }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
      expect(api.mock.calls.filter((c) => c.method === "answerPreCheckoutQuery").map((c) => c.params)).toEqual([
        { pre_checkout_query_id: "q-5", ok: true },
      ]);
    } finally {
      await api.close();
    }
  });
});

describe("POST /master/webhook: successful_payment", () => {
  it("the runbook's minimal simulated update answers 200 and credits the payment's user", async () => {
    const payment = await t.createPayment(42);
    const res = await t.webhookPost(runbookSimulatedPayment(payment.paymentId));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    await t.settled();
    expect(t.paymentView(payment.paymentId)).toMatchObject({
      status: "PAID",
      telegramPaymentChargeId: "test_charge_123",
    });
    expect((await t.call("GET", "/api/credits/balance", { user: 42 })).json()).toEqual({ userId: 42, credits: 100 });
  });

  it("answers only once the read models show the payment, so the next history call is PAID (read your own writes)", async () => {
    const payment = await t.createPayment(43);
    t.failing.subscriptionDelayMs = 150;
    const res = await t.webhookPost(runbookSimulatedPayment(payment.paymentId));
    expect(res.statusCode).toBe(200);
    const history = await t.call("GET", "/api/payments/history", { user: 43 });
    expect(history.json<{ payments: { status: string }[] }>().payments[0]?.status).toBe("PAID");
    expect((await t.call("GET", "/api/credits/balance", { user: 43 })).json()).toEqual({ userId: 43, credits: 100 });
  });

  it("a second delivery of the same charge answers 200 and credits nothing", async () => {
    const payment = await t.createPayment(42);
    const update = successfulPaymentUpdate(payment.paymentId, { fromId: 42, chargeId: "c-dup" });
    expect((await t.webhookPost(update)).statusCode).toBe(200);
    expect((await t.webhookPost(update)).statusCode).toBe(200);
    await t.settled();
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentPaid")).toHaveLength(1);
    expect(t.projections.balances.get(42).credits).toBe(100);
  });

  it("an amount that does not match the invoice is recorded but not credited", async () => {
    const payment = await t.createPayment(42);
    expect(
      (await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42, totalAmount: 11 }))).statusCode,
    ).toBe(200);
    await t.settled();
    expect(t.projections.balances.get(42).credits).toBe(0);
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentPaid")).toHaveLength(0);
  });

  it("a charge whose payload names no payment is acknowledged, recorded as unmatched and refunded, never credited", async () => {
    const res = await t.webhookPost(successfulPaymentUpdate("not-a-payment", { chargeId: "c-stray" }));
    expect(res.statusCode).toBe(200);
    const events = await eventually(async () => {
      const recorded = await allEvents(t.memory);
      return recorded.some((e) => e.type === "UnmatchedChargeRefunded") ? recorded : undefined;
    }, "the refund reactor to refund the stray charge");
    expect(events.map((e) => [e.stream, e.type])).toEqual([
      ["unmatched-charge-c-stray", "UnmatchedChargeReceived"],
      ["unmatched-charge-c-stray", "UnmatchedChargeRefunded"],
    ]);
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params)).toEqual([
      { user_id: defaultPayerId, telegram_payment_charge_id: "c-stray" },
    ]);
  });

  it("answers 503 and writes nothing when the store is down, and the retry after it is back credits once", async () => {
    const payment = await t.createPayment(42);
    const before = (await allEvents(t.memory)).length;
    t.failing.down = true;
    const update = runbookSimulatedPayment(payment.paymentId);
    expectError(await t.webhookPost(update), 503, "StoreUnavailable");
    expect(await allEvents(t.memory)).toHaveLength(before);
    t.failing.down = false;
    expect((await t.webhookPost(update)).statusCode).toBe(200);
    await t.settled();
    expect(t.projections.balances.get(42).credits).toBe(100);
  });
});

describe("POST /master/webhook: when the store fails at the write", () => {
  it("a successful_payment whose append fails answers 503 (so Telegram retries), not 200", async () => {
    const payment = await t.createPayment(42);
    const before = (await allEvents(t.memory)).length;
    t.failing.appendsDown = true;
    const attempts = t.failing.appendAttempts;
    expectError(
      await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42 })),
      503,
      "StoreUnavailable",
    );
    expect(t.failing.appendAttempts).toBeGreaterThan(attempts);
    expect(await allEvents(t.memory)).toHaveLength(before);
    expect(t.projections.balances.get(42).credits).toBe(0);
  });

  it("a successful_payment whose data the store refuses for good answers 400, never 503, and /ready stays 200", async () => {
    const payment = await t.createPayment(42);
    const before = await allEvents(t.memory);
    t.failing.appendsRefused = true;
    const body = expectError(
      await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42 })),
      400,
      "InvalidEventData",
    );
    expect(body.message).toMatch(/^The update holds data the ledger cannot store; nothing was recorded/);
    expect(await allEvents(t.memory)).toEqual(before);
    expect(t.logs.find("Could not record successful_payment: the ledger cannot store its data; answering 400")).toEqual(
      [expect.objectContaining({ level: 50, error: "InvalidEventData" })],
    );
    expect((await t.call("GET", "/ready")).statusCode).toBe(200);
  });

  it("a pre_checkout_query that cannot be recorded is refused with 200 ok:false, since a retry would miss Telegram's 10 s", async () => {
    const payment = await t.createPayment(42);
    t.failing.appendsDown = true;
    const res = await t.webhookPost(preCheckoutUpdate(payment.paymentId, { queryId: "q-down", fromId: 42 }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      method: "answerPreCheckoutQuery",
      pre_checkout_query_id: "q-down",
      ok: false,
      error_message: "Payment is temporarily unavailable, please try again",
    });
  });
});

describe("POST /master/webhook: refunded_payment", () => {
  it("records Telegram's refund and takes the credits back", async () => {
    const payment = await t.createPayment(42);
    await t.pay(payment, { fromId: 42, chargeId: "c-refunded" });
    const update = {
      update_id: 77,
      message: {
        message_id: 5,
        from: { id: 42, is_bot: false, first_name: "Ada" },
        chat: { id: 42, type: "private" },
        date: 1764115200,
        refunded_payment: {
          currency: "XTR",
          total_amount: 10,
          invoice_payload: payment.paymentId,
          telegram_payment_charge_id: "c-refunded",
        },
      },
    };
    expect((await t.webhookPost(update)).statusCode).toBe(200);
    await t.settled();
    expect(t.paymentView(payment.paymentId)?.status).toBe("REFUNDED");
    expect(t.projections.balances.get(42).credits).toBe(0);
  });
});

describe("POST /master/webhook: what is refused", () => {
  it("answers 400 for a body that is not a Telegram update, and writes nothing", async () => {
    for (const body of [
      { hello: "world" },
      { update_id: "x" },
      [1, 2],
      { update_id: 1, message: { successful_payment: { currency: "XTR" } } },
    ]) {
      expectError(await t.webhookPost(body), 400, "InvalidUpdate");
    }
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it("acknowledges an update it does not handle (a text message) with 200", async () => {
    const res = await t.webhookPost({
      update_id: 5,
      message: { message_id: 1, date: 1, chat: { id: 1, type: "private" }, text: "hi" },
    });
    expect(res.statusCode).toBe(200);
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it("answers 401 for a missing or wrong secret token when WEBHOOK_SECRET is set, and 200 for the right one", async () => {
    const secured = await startTestApp({ env: { WEBHOOK_SECRET: "s3cret" } });
    try {
      const payment = await secured.createPayment(42);
      const update = runbookSimulatedPayment(payment.paymentId);
      expectError(await secured.webhookPost(update), 401, "BadSecret");
      expectError(await secured.webhookPost(update, { [secretHeader]: "wrong" }), 401, "BadSecret");
      expect((await allEvents(secured.memory)).filter((e) => e.type === "PaymentPaid")).toHaveLength(0);
      expect((await secured.webhookPost(update, { [secretHeader]: "s3cret" })).statusCode).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it("accepts an update far larger than the API's 64 KiB body limit (Telegram would retry a 413 forever)", async () => {
    const big = {
      update_id: 6,
      message: { message_id: 1, date: 1, chat: { id: 1, type: "private" }, text: "x".repeat(200 * 1024) },
    };
    expect((await t.webhookPost(big)).statusCode).toBe(200);
  });
});
