import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectError, ManualClock, startTestApp, type TestApp } from "./support/test-app.js";

type History = {
  payments: {
    paymentId: string;
    status: string;
    credits: number;
    starsAmount: number;
    createdAt: string;
    paidAt?: string;
  }[];
  nextCursor: string | null;
};

let t: TestApp;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock();
  t = await startTestApp({ now: clock.now });
});
afterEach(async () => {
  await t.close();
});

describe("GET /api/payments/history", () => {
  it("lists the caller's payments newest first, PAID after the successful_payment, and no one else's", async () => {
    const first = await t.createPayment(42, { starsAmount: 10 });
    clock.advance(60_000);
    const second = await t.createPayment(42, { starsAmount: 25 });
    clock.advance(60_000);
    await t.createPayment(43, { starsAmount: 50 });
    await t.pay(first, { fromId: 42 });

    const res = await t.call("GET", "/api/payments/history", { user: 42 });
    expect(res.statusCode).toBe(200);
    const body = res.json<History>();
    expect(body.nextCursor).toBeNull();
    expect(body.payments.map((p) => [p.paymentId, p.status])).toEqual([
      [second.paymentId, "PENDING"],
      [first.paymentId, "PAID"],
    ]);
    expect(body.payments[1]).toMatchObject({ credits: 100, starsAmount: 10, paidAt: expect.any(String) as string });
  });

  it("pages with limit and nextCursor, without repeating or skipping a payment", async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await t.createPayment(42)).paymentId);
      clock.advance(1_000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/payments/history?limit=2${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page: History = (await t.call("GET", url, { user: 42 })).json<History>();
      expect(page.payments.length).toBeLessThanOrEqual(2);
      seen.push(...page.payments.map((p) => p.paymentId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it("answers 400 for a cursor it did not issue and for a limit over 100", async () => {
    expectError(await t.call("GET", "/api/payments/history?cursor=not-a-cursor", { user: 42 }), 400);
    expectError(await t.call("GET", "/api/payments/history?limit=101", { user: 42 }), 400, "InvalidRequest");
  });

  it("answers 401 without a token", async () => {
    expectError(await t.call("GET", "/api/payments/history"), 401, "Unauthorized");
  });
});

describe("GET /api/credits/balance", () => {
  it("is 0 for a new user and the credits of paid payments after a payment", async () => {
    expect((await t.call("GET", "/api/credits/balance", { user: 42 })).json()).toEqual({ userId: 42, credits: 0 });
    const payment = await t.createPayment(42, { starsAmount: 25 });
    await t.pay(payment, { fromId: 42 });
    expect((await t.call("GET", "/api/credits/balance", { user: 42 })).json()).toEqual({ userId: 42, credits: 250 });
    expect((await t.call("GET", "/api/credits/balance", { user: 43 })).json()).toEqual({ userId: 43, credits: 0 });
  });

  it("answers 401 without a token", async () => {
    expectError(await t.call("GET", "/api/credits/balance"), 401, "Unauthorized");
  });
});
