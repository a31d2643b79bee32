import { paymentStream } from "@starledger/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allEvents } from "@starledger/core/testing";
import { ndjson, type EventLine } from "./support/http-client.js";
import { expectError, ManualClock, startTestApp, type TestApp } from "./support/test-app.js";

type ListBody = { payments: { paymentId: string; userId: number; status: string }[]; nextCursor: string | null };

const dayMs = 24 * 60 * 60 * 1000;
const admin = { user: 1, admin: true } as const;
const unknownPaymentId = "00000000-0000-4000-8000-000000000000";

let t: TestApp;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(Date.parse("2025-03-01T10:00:00.000Z"));
  t = await startTestApp({ now: clock.now });
});
afterEach(async () => {
  await t.close();
});

describe("GET /api/payments/admin/list", () => {
  it("filters by status, userId and the createdAt range [from, to), newest first", async () => {
    const a = await t.createPayment(101); // 2025-03-01
    clock.advance(dayMs);
    const b = await t.createPayment(101); // 2025-03-02
    clock.advance(dayMs);
    const c = await t.createPayment(102); // 2025-03-03
    await t.pay(b, { fromId: 101 });
    const ids = async (query: string): Promise<string[]> => {
      const res = await t.call("GET", `/api/payments/admin/list${query}`, admin);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<ListBody>().payments.map((p) => p.paymentId);
    };
    expect(await ids("")).toEqual([c.paymentId, b.paymentId, a.paymentId]);
    expect(await ids("?status=PAID")).toEqual([b.paymentId]);
    expect(await ids("?status=PENDING")).toEqual([c.paymentId, a.paymentId]);
    expect(await ids("?userId=101")).toEqual([b.paymentId, a.paymentId]);
    expect(await ids("?from=2025-03-02T00:00:00Z")).toEqual([c.paymentId, b.paymentId]);
    expect(await ids("?to=2025-03-02T10:00:00Z")).toEqual([a.paymentId]);
    expect(await ids("?from=2025-03-02T00:00:00Z&to=2025-03-03T00:00:00Z&userId=101&status=PAID")).toEqual([
      b.paymentId,
    ]);
  });

  it("pages with cursor until nextCursor is null", async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      created.push((await t.createPayment(101 + i)).paymentId);
      clock.advance(1_000);
    }
    const first = (await t.call("GET", "/api/payments/admin/list?limit=2", admin)).json<ListBody>();
    expect(first.payments).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = (
      await t.call(
        "GET",
        `/api/payments/admin/list?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
        admin,
      )
    ).json<ListBody>();
    expect(second.nextCursor).toBeNull();
    expect([...first.payments, ...second.payments].map((p) => p.paymentId)).toEqual([...created].reverse());
  });

  it("answers 400 for an unknown status or a date that is not ISO 8601", async () => {
    expectError(await t.call("GET", "/api/payments/admin/list?status=LOST", admin), 400, "InvalidRequest");
    expectError(await t.call("GET", "/api/payments/admin/list?from=yesterday", admin), 400, "InvalidRequest");
  });
});

describe("GET /api/payments/admin/stats", () => {
  it("reports counts by status, revenue, credits issued, success rate, average credits and per-day series", async () => {
    const p10 = await t.createPayment(101, { starsAmount: 10 });
    clock.advance(dayMs);
    const p25 = await t.createPayment(102, { starsAmount: 25 });
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked" });
    expectError(await t.call("POST", "/api/payments/create", { user: 103, body: { starsAmount: 50 } }), 502);
    await t.createPayment(104, { starsAmount: 100 });
    await t.pay(p10, { fromId: 101 });
    await t.pay(p25, { fromId: 102 });

    const res = await t.call("GET", "/api/payments/admin/stats", admin);
    expect(res.statusCode).toBe(200);
    const stats = res.json<{
      byStatus: Record<string, number>;
      paymentsCreated: number;
      revenueStars: number;
      creditsIssued: number;
      successRate: number;
      averageCreditsPerPurchase: number;
      createdPerDay: { day: string; count: number }[];
      revenueByDay: { day: string; revenueStars: number }[];
    }>();
    expect(stats.paymentsCreated).toBe(4);
    expect(stats.byStatus).toEqual({ PENDING: 1, PAID: 2, FAILED: 1, REFUNDED: 0 });
    expect(stats.revenueStars).toBe(35);
    expect(stats.creditsIssued).toBe(350);
    expect(stats.successRate).toBeCloseTo(2 / 3, 10);
    expect(stats.averageCreditsPerPurchase).toBe(175);
    expect(stats.createdPerDay).toEqual([
      { day: "2025-03-01", count: 1 },
      { day: "2025-03-02", count: 3 },
    ]);
    expect(stats.revenueByDay.reduce((sum, d) => sum + d.revenueStars, 0)).toBe(35);
  });

  it("limits the cohort to the from/to range", async () => {
    await t.createPayment(101);
    clock.advance(dayMs);
    await t.createPayment(101);
    const stats = (await t.call("GET", "/api/payments/admin/stats?from=2025-03-02T00:00:00Z", admin)).json<{
      paymentsCreated: number;
    }>();
    expect(stats.paymentsCreated).toBe(1);
  });
});

describe("GET /api/payments/admin/:id", () => {
  it("answers the payment and its own events with type, data, position, revision and recordedAt", async () => {
    const payment = await t.createPayment(101);
    await t.createPayment(102);
    await t.pay(payment, { fromId: 101, chargeId: "charge-detail" });
    const res = await t.call("GET", `/api/payments/admin/${payment.paymentId}`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ payment: Record<string, unknown>; events: Omit<EventLine, "id" | "stream">[] }>();
    expect(body.payment).toMatchObject({
      paymentId: payment.paymentId,
      userId: 101,
      status: "PAID",
      telegramPaymentChargeId: "charge-detail",
    });
    expect(body.events.map((e) => e.type)).toEqual(["PaymentCreated", "InvoiceIssued", "PaymentPaid"]);
    expect(body.events.map((e) => e.revision)).toEqual([0, 1, 2]);
    const stored = (await allEvents(t.memory)).filter((e) => e.stream === paymentStream(payment.paymentId));
    expect(body.events.map((e) => e.position)).toEqual(stored.map((e) => Number(e.position)));
    expect(body.events[2]?.data).toMatchObject({ telegramPaymentChargeId: "charge-detail", credits: 100 });
    for (const event of body.events) expect(new Date(event.recordedAt).toISOString()).toBe(event.recordedAt);
  });

  it("answers 404 'Payment not found' for an unknown id, a uuid or not", async () => {
    expect(
      expectError(await t.call("GET", `/api/payments/admin/${unknownPaymentId}`, admin), 404, "PaymentNotFound")
        .message,
    ).toBe("Payment not found");
    expectError(await t.call("GET", "/api/payments/admin/not-a-uuid", admin), 404, "PaymentNotFound");
  });
});

describe("POST /api/payments/admin/:id/refund", () => {
  it("refunds through Telegram to the payer with the charge id, then records PaymentRefunded and takes the credits back", async () => {
    const payment = await t.createPayment(101, { starsAmount: 25 });
    // Someone other than the creator paid: the Stars go back to the payer.
    await t.pay(payment, { fromId: 777, chargeId: "charge-refund-1" });
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 250 });

    const res = await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ payment: { paymentId: payment.paymentId, status: "REFUNDED" } });
    const refunds = t.mock.calls.filter((c) => c.method === "refundStarPayment");
    expect(refunds.map((c) => c.params)).toEqual([{ user_id: 777, telegram_payment_charge_id: "charge-refund-1" }]);
    const refunded = (await allEvents(t.memory)).filter((e) => e.type === "PaymentRefunded");
    expect(refunded).toHaveLength(1);
    expect(refunded[0]?.data).toMatchObject({ telegramPaymentChargeId: "charge-refund-1", credits: 250 });
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 0 });
  });

  it("refunds to the creator when the successful_payment did not say who paid", async () => {
    const payment = await t.createPayment(101);
    const update = {
      update_id: 9,
      message: {
        successful_payment: {
          currency: "XTR",
          total_amount: 10,
          invoice_payload: payment.paymentId,
          telegram_payment_charge_id: "charge-no-from",
        },
      },
    };
    expect((await t.webhookPost(update)).statusCode).toBe(200);
    await t.settled();
    expect((await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin)).statusCode).toBe(200);
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params)).toEqual([
      { user_id: 101, telegram_payment_charge_id: "charge-no-from" },
    ]);
  });

  it("answers 409 for a payment that is not paid, without calling Telegram", async () => {
    const payment = await t.createPayment(101);
    expectError(await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin), 409, "PaymentNotPaid");
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment")).toHaveLength(0);
  });

  it("answers 409 for a payment already refunded, without calling Telegram again", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    expect((await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin)).statusCode).toBe(200);
    expectError(
      await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin),
      409,
      "PaymentAlreadyRefunded",
    );
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment")).toHaveLength(1);
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentRefunded")).toHaveLength(1);
  });

  it("answers 502 and records nothing when Telegram refuses the refund", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    t.mock.failNext("refundStarPayment", { errorCode: 400, description: "Bad Request: not enough Stars" });
    const body = expectError(
      await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin),
      502,
      "TelegramRefundFailed",
    );
    expect(JSON.stringify(body.details)).toContain("not enough Stars");
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentRefunded")).toHaveLength(0);
    expect(t.paymentView(payment.paymentId)?.status).toBe("PAID");
  });

  it("records the refund when Telegram says the charge was already refunded", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    t.mock.failNext("refundStarPayment", { errorCode: 400, description: "Bad Request: CHARGE_ALREADY_REFUNDED" });
    expect((await t.call("POST", `/api/payments/admin/${payment.paymentId}/refund`, admin)).statusCode).toBe(200);
    expect((await allEvents(t.memory)).filter((e) => e.type === "PaymentRefunded")).toHaveLength(1);
  });

  it("answers 404 for an unknown payment", async () => {
    expectError(await t.call("POST", `/api/payments/admin/${unknownPaymentId}/refund`, admin), 404, "PaymentNotFound");
  });
});

describe("POST /api/credits/admin/adjust", () => {
  it("answers 201 with the new balance, adding to the credits of paid payments", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    const res = await t.call("POST", "/api/credits/admin/adjust", {
      ...admin,
      body: { userId: 101, delta: -30, reason: "support ticket 17" },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ userId: 101, delta: -30, credits: 70 });
    expect((await t.call("GET", "/api/credits/balance", { user: 101 })).json()).toMatchObject({ credits: 70 });
    const adjusted = (await allEvents(t.memory)).find((e) => e.type === "CreditsAdjusted");
    expect(adjusted?.data).toMatchObject({ delta: -30, reason: "support ticket 17", admin: "user:1" });
  });

  it("answers 400 for a zero delta or an empty reason, and records nothing", async () => {
    expectError(
      await t.call("POST", "/api/credits/admin/adjust", {
        ...admin,
        body: { userId: 101, delta: 0, reason: "nothing" },
      }),
      400,
    );
    expectError(
      await t.call("POST", "/api/credits/admin/adjust", { ...admin, body: { userId: 101, delta: 5, reason: "" } }),
      400,
    );
    expectError(
      await t.call("POST", "/api/credits/admin/adjust", { ...admin, body: { userId: 101, delta: 5, reason: "   " } }),
      400,
    );
    expectError(
      await t.call("POST", "/api/credits/admin/adjust", {
        ...admin,
        body: { userId: 101, delta: 1.5, reason: "half" },
      }),
      400,
      "InvalidRequest",
    );
    expect(await allEvents(t.memory)).toHaveLength(0);
  });
});

describe("GET /api/events", () => {
  it("streams every recorded event as NDJSON with id, position, stream, revision, type, data, metadata with hashes, recordedAt", async () => {
    const payment = await t.createPayment(101);
    await t.pay(payment, { fromId: 101 });
    const res = await t.call("GET", "/api/events", admin);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    const lines = ndjson(res.body);
    const stored = await allEvents(t.memory);
    expect(lines).toEqual(
      stored.map((e) => ({
        id: e.id,
        position: Number(e.position),
        stream: e.stream,
        revision: Number(e.revision),
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        recordedAt: e.recordedAt.toISOString(),
      })),
    );
    for (const line of lines) {
      expect(line.metadata.hash).toEqual(expect.any(String));
      expect(line.metadata.prevHash).toEqual(expect.any(String));
    }
    expect(lines[1]?.metadata.prevHash).toBe(lines[0]?.metadata.hash);
  });

  it("pages with after= and limit=", async () => {
    for (let i = 0; i < 3; i++) await t.createPayment(101 + i); // two events each
    const first = ndjson((await t.call("GET", "/api/events?limit=4", admin)).body);
    expect(first).toHaveLength(4);
    const rest = ndjson((await t.call("GET", `/api/events?after=${first.at(-1)?.position ?? 0}&limit=4`, admin)).body);
    expect(rest).toHaveLength(2);
    expect([...first, ...rest].map((e) => e.position)).toEqual(
      (await allEvents(t.memory)).map((e) => Number(e.position)),
    );
    expect(ndjson((await t.call("GET", `/api/events?after=${rest.at(-1)?.position ?? 0}`, admin)).body)).toEqual([]);
  });

  it("answers 400 for a negative after or a limit over 10 000", async () => {
    expectError(await t.call("GET", "/api/events?after=-1", admin), 400, "InvalidRequest");
    expectError(await t.call("GET", "/api/events?limit=10001", admin), 400, "InvalidRequest");
  });
});

describe("admin routes refuse non-admins", () => {
  const routes: ["GET" | "POST", string, unknown?][] = [
    ["GET", "/api/payments/admin/list"],
    ["GET", "/api/payments/admin/stats"],
    ["GET", `/api/payments/admin/${unknownPaymentId}`],
    ["POST", `/api/payments/admin/${unknownPaymentId}/refund`],
    ["POST", "/api/credits/admin/adjust", { userId: 5, delta: 1, reason: "x" }],
    ["GET", "/api/events"],
  ];

  it("every admin route answers 401 without a token and 403 with a user token", async () => {
    for (const [method, url, body] of routes) {
      expectError(await t.call(method, url, body === undefined ? {} : { body }), 401, "Unauthorized");
      const res = await t.call(method, url, { user: 5, ...(body === undefined ? {} : { body }) });
      expect(expectError(res, 403, "Forbidden").message).toBe("Admin access required");
    }
    expect(t.mock.calls).toHaveLength(0);
    expect(await allEvents(t.memory)).toHaveLength(0);
  });
});
