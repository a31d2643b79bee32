import { createMockBotApi } from "@starledger/telegram-adapter";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allEvents } from "@starledger/core/testing";
import { expectError, ManualClock, startTestApp, type TestApp } from "./support/test-app.js";

const admin = { user: 1, admin: true } as const;

let t: TestApp;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(Date.parse("2025-03-01T10:00:00.000Z"));
  t = await startTestApp({ now: clock.now });
});
afterEach(async () => {
  await t.close();
});

describe("POST /api/payments/admin/:id/refund with an Idempotency-Key", () => {
  const refundWithKey = (paymentId: string, key: string) =>
    t.call("POST", `/api/payments/admin/${paymentId}/refund`, { ...admin, headers: { "idempotency-key": key } });

  it("with an Idempotency-Key, the same refund again answers 200 as the first time and does not call Telegram again", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    const first = await refundWithKey(payment.paymentId, "ticket-42");
    expect(first.statusCode, first.body).toBe(200);
    const again = await refundWithKey(payment.paymentId, "ticket-42");
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(again.json()).toMatchObject({ payment: { status: "REFUNDED", refundIdempotencyKey: "ticket-42" } });
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment")).toHaveLength(1);
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentRefunded")).toHaveLength(1);
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 0 });
  });

  it("an Idempotency-Key already used to refund another payment is 422, before Telegram is called", async () => {
    const first = await t.createPayment(101);
    const second = await t.createPayment(102);
    await t.pay(first, { fromId: 101, chargeId: "charge-a" });
    await t.pay(second, { fromId: 102, chargeId: "charge-b" });
    expect((await refundWithKey(first.paymentId, "ticket-42")).statusCode).toBe(200);
    const before = await allEvents(t.memory);
    const body = expectError(await refundWithKey(second.paymentId, "ticket-42"), 422, "IdempotencyConflict");
    expect(body.message).toBe("This Idempotency-Key was already used to refund another payment");
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params)).toEqual([
      { user_id: 101, telegram_payment_charge_id: "charge-a" },
    ]);
    expect(await allEvents(t.memory)).toEqual(before);
    expect(t.paymentView(second.paymentId)?.status).toBe("PAID");
  });

  it("the key is claimed before Telegram is asked: while Telegram refunds one payment under it, a refund of another is 422 and never reaches Telegram", async () => {
    const telegram = createMockBotApi();
    let whileTelegramRefunds: (() => Promise<void>) | undefined;
    const racing = await startTestApp({
      now: clock.now,
      botApi: {
        ...telegram,
        refundStarPayment: async (params) => {
          await whileTelegramRefunds?.();
          return telegram.refundStarPayment(params);
        },
      },
    });
    try {
      const first = await racing.createPayment(101);
      const second = await racing.createPayment(102);
      await racing.pay(first, { fromId: 101, chargeId: "charge-a" });
      await racing.pay(second, { fromId: 102, chargeId: "charge-b" });
      const refund = (paymentId: string) =>
        racing.call("POST", `/api/payments/admin/${paymentId}/refund`, {
          ...admin,
          headers: { "idempotency-key": "ticket-42" },
        });
      let raced: Awaited<ReturnType<typeof refund>> | undefined;
      whileTelegramRefunds = async () => {
        whileTelegramRefunds = undefined;
        raced = await refund(second.paymentId);
      };
      const res = await refund(first.paymentId);
      expect(res.statusCode, res.body).toBe(200);
      if (raced === undefined) throw new Error("the second refund did not run while Telegram refunded the first");
      expect(expectError(raced, 422, "IdempotencyConflict").message).toBe(
        "This Idempotency-Key was already used to refund another payment",
      );
      expect(telegram.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params)).toEqual([
        { user_id: 101, telegram_payment_charge_id: "charge-a" },
      ]);
      await racing.settled();
      expect(racing.paymentView(first.paymentId)).toMatchObject({
        status: "REFUNDED",
        refundIdempotencyKey: "ticket-42",
      });
      expect(racing.paymentView(second.paymentId)?.status).toBe("PAID");
      expect(racing.projections.balances.get(102).credits).toBe(100);
    } finally {
      await racing.close();
    }
  });

  it("a refunded payment asked again under another Idempotency-Key is still 409", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    expect((await refundWithKey(payment.paymentId, "ticket-42")).statusCode).toBe(200);
    expectError(await refundWithKey(payment.paymentId, "ticket-43"), 409, "PaymentAlreadyRefunded");
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment")).toHaveLength(1);
  });

  it("an Idempotency-Key that is not printable ASCII is 400", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    expectError(await refundWithKey(payment.paymentId, "ticket 42"), 400, "InvalidRequest");
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment")).toHaveLength(0);
  });
});

describe("POST /api/credits/admin/adjust with an Idempotency-Key", () => {
  const adjust = (body: object, key?: string) =>
    t.call("POST", "/api/credits/admin/adjust", {
      ...admin,
      body,
      ...(key === undefined ? {} : { headers: { "idempotency-key": key } }),
    });
  const adjustments = async () => (await allEvents(t.memory)).filter((e) => e.type === "CreditsAdjusted");
  const ticket = { userId: 101, delta: 100, reason: "webhook lost, ticket #42" };

  it("the same adjustment sent again answers 201 with the same body and credits once", async () => {
    const first = await adjust(ticket, "ticket-42");
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({ userId: 101, delta: 100, credits: 100 });
    const again = await adjust(ticket, "ticket-42");
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(await adjustments()).toHaveLength(1);
    expect((await adjustments())[0]?.data).toMatchObject({ idempotencyKey: "ticket-42" });
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 100 });
  });

  it.each([
    ["another delta", { ...ticket, delta: 200 }],
    ["another reason", { ...ticket, reason: "ticket #43" }],
    ["another user", { ...ticket, userId: 102 }],
  ])("the key with %s is 422 and changes nothing", async (_case, body) => {
    expect((await adjust(ticket, "ticket-42")).statusCode).toBe(201);
    const refused = expectError(await adjust(body, "ticket-42"), 422, "IdempotencyConflict");
    expect(refused.message).toBe("This Idempotency-Key was already used for a different adjustment");
    expect(await adjustments()).toHaveLength(1);
    expect((await t.call("GET", "/api/credits/balance", { user: 102 })).json()).toMatchObject({ credits: 0 });
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 100 });
  });

  it("without a key, the same adjustment twice is two adjustments, as before", async () => {
    expect((await adjust(ticket)).json()).toMatchObject({ credits: 100 });
    expect((await adjust(ticket)).json()).toMatchObject({ credits: 200 });
    expect(await adjustments()).toHaveLength(2);
  });
});
