import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "./support/http-client.js";
import { ManualClock, startTestApp, type TestApp } from "./support/test-app.js";
import { preCheckoutUpdate, successfulPaymentUpdate } from "./support/updates.js";

type HistoryBody = { payments: { paymentId: string; status: string; failureReason?: string }[] };
type StatsBody = {
  byStatus: Record<string, number>;
  failedByReason: Record<string, number>;
  successRate: number | null;
  extraCharges: { received: number; pendingRefund: number; starsPendingRefund: number };
};

const ttlMs = 3_000;
const admin = { user: 1, admin: true } as const;

let t: TestApp;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(Date.parse("2026-11-26T10:00:00.000Z"));
  t = await startTestApp({ now: clock.now, env: { PAYMENT_TTL: "3s" } });
});
afterEach(async () => {
  await t.close();
});

const history = async (userId: number): Promise<HistoryBody["payments"]> => {
  const res = await t.call("GET", "/api/payments/history", { user: userId });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<HistoryBody>().payments;
};
const stats = async (): Promise<StatsBody> => {
  const res = await t.call("GET", "/api/payments/admin/stats", admin);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<StatsBody>();
};

describe("PAYMENT_TTL: the expiry sweeper records what the clock says", () => {
  it("once the clock passes expiresAt and a sweep runs, history says FAILED/expired and stats count it", async () => {
    const payment = await t.createPayment(42);
    clock.advance(ttlMs - 1);
    expect(await t.sweeper.sweepOnce()).toMatchObject({ due: 0, expired: 0 });
    expect(await history(42)).toEqual([expect.objectContaining({ paymentId: payment.paymentId, status: "PENDING" })]);

    clock.advance(1);
    expect(await t.sweeper.sweepOnce()).toMatchObject({ due: 1, expired: 1 });
    await t.settled();

    expect(await history(42)).toEqual([
      expect.objectContaining({ paymentId: payment.paymentId, status: "FAILED", failureReason: "expired" }),
    ]);
    const counted = await stats();
    expect(counted.byStatus).toMatchObject({ PENDING: 0, FAILED: 1 });
    expect(counted.failedByReason.expired).toBe(1);
    expect(counted.successRate).toBe(0);
    expect(t.logs.find("Payment marked as failed")).toEqual([
      expect.objectContaining({ paymentId: payment.paymentId, userId: 42, reason: "expired" }),
    ]);
    const details = (await t.call("GET", `/api/payments/admin/${payment.paymentId}`, admin)).json<{
      events: { type: string; data: Record<string, unknown> }[];
    }>();
    expect(details.events.at(-1)).toMatchObject({
      type: "PaymentFailed",
      data: { reason: "expired", failedAt: clock.now().toISOString() },
    });
  });

  it("a pre-checkout after the recorded expiry is still refused as expired", async () => {
    const payment = await t.createPayment(42);
    clock.advance(ttlMs);
    await t.sweeper.sweepOnce();
    const res = await t.webhookPost(preCheckoutUpdate(payment.paymentId, { queryId: "q-late", fromId: 42 }));
    expect(res.json()).toMatchObject({
      ok: false,
      error_message: "This invoice has expired. Please start a new purchase.",
    });
  });

  it("a successful_payment for an expired invoice is kept as an uncredited charge and refunded, and credits nothing", async () => {
    const payment = await t.createPayment(42);
    clock.advance(ttlMs);
    expect((await t.sweeper.sweepOnce()).expired).toBe(1);

    const res = await t.webhookPost(successfulPaymentUpdate(payment.paymentId, { fromId: 42, chargeId: "late-1" }));
    expect(res.statusCode, res.body).toBe(200);
    await eventually(
      () => Promise.resolve(t.paymentView(payment.paymentId)?.extraCharges[0]?.refunded === true ? true : undefined),
      "the refund reactor to refund the late charge",
    );

    expect(t.paymentView(payment.paymentId)).toMatchObject({
      status: "FAILED",
      failureReason: "expired",
      telegramPaymentChargeId: null,
      extraCharges: [{ telegramPaymentChargeId: "late-1", reason: "payment_not_payable", refunded: true }],
    });
    expect(t.mock.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params)).toEqual([
      { user_id: 42, telegram_payment_charge_id: "late-1" },
    ]);
    expect((await t.call("GET", "/api/credits/balance", { user: 42 })).json()).toEqual({ userId: 42, credits: 0 });
    expect((await stats()).extraCharges).toMatchObject({ received: 1, pendingRefund: 0, starsPendingRefund: 0 });
    expect((await t.sweeper.sweepOnce()).due).toBe(0);
  });
});
