import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { FakeBotApiServer } from "@starledger/telegram-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import type { RunningServer } from "../src/index.js";
import { eventually, fetchJson, type BalanceBody } from "./support/http-client.js";
import { captureLogger, ManualClock, testAuthSecret, testBotToken, type LogCapture } from "./support/test-app.js";
import { startSocketServer } from "./support/socket-server.js";
import { successfulPaymentUpdate } from "./support/updates.js";

const hourMs = 60 * 60 * 1000;
const ttlMs = 60_000;
const webhookSecret = "expiry-over-socket-secret";
const payerId = 3001;

type HistoryBody = { payments: { paymentId: string; status: string; failureReason?: string }[] };
type DetailsBody = {
  payment: { status: string; failureReason: string | null; extraCharges: { reason: string; refunded: boolean }[] };
  events: { type: string; data: Record<string, unknown> }[];
};
type StatsBody = {
  byStatus: Record<string, number>;
  failedByReason: Record<string, number>;
  extraCharges: { received: number; refunded: number; pendingRefund: number };
};

/** The server in REAL mode against the fake Bot API on `storeEnv`, on the test's clock, logging into a capture. */
const startExpiryServer = async (
  storeEnv: Record<string, string>,
  fake: FakeBotApiServer,
  clock: ManualClock,
): Promise<{ server: RunningServer; logs: LogCapture }> => {
  const captured = captureLogger("info");
  const server = await startSocketServer(
    {
      ...storeEnv,
      PAYMENT_MODE: "REAL",
      MASTER_BOT_TOKEN: testBotToken,
      TELEGRAM_API_ROOT: fake.root,
      WEBHOOK_SECRET: webhookSecret,
      PAYMENT_TTL: "1m",
      EXPIRY_SWEEP_INTERVAL: "50ms",
    },
    { logger: captured.logger, now: clock.now },
  );
  return { server, logs: captured.logs };
};

/**
 * REAL mode against the fake Bot API, a store on disk or in PostgreSQL, the server on a socket. The clock is
 * injected, so expiry happens when the test moves it; the sweeper runs every 50 ms and the test polls the history.
 */
const expiryStory = (storeEnv: () => Promise<{ env: Record<string, string>; cleanUp: () => Promise<void> }>) => {
  const fake = new FakeBotApiServer();
  const clock = new ManualClock();
  let server: RunningServer;
  let logs: LogCapture;
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    await fake.start();
    const store = await storeEnv();
    cleanUp = store.cleanUp;
    ({ server, logs } = await startExpiryServer(store.env, fake, clock));
  });
  afterAll(async () => {
    await server.close();
    await fake.stop();
    await cleanUp();
  });

  it("the sweeper expires the payment; a late successful_payment stays uncredited and is refunded to the payer", async () => {
    const token = await issueToken({ userId: payerId, admin: false, ttlMs: hourMs, now: clock.now() }, testAuthSecret);
    const adminToken = await issueToken({ userId: 1, admin: true, ttlMs: hourMs, now: clock.now() }, testAuthSecret);
    const created = await fetchJson<{ paymentId: string; status: string }>(`${server.url}/api/payments/create`, {
      token,
      body: JSON.stringify({ starsAmount: 10 }),
    });
    expect(created.status, created.text).toBe(201);
    const paymentId = created.body.paymentId;
    const historyOf = async () =>
      (await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token })).body.payments;
    expect(await historyOf()).toEqual([expect.objectContaining({ paymentId, status: "PENDING" })]);

    clock.advance(ttlMs);
    const expired = await eventually(async () => {
      const [payment] = await historyOf();
      return payment?.status === "FAILED" ? payment : undefined;
    }, "the sweeper to record the expiry");
    expect(expired).toMatchObject({ paymentId, status: "FAILED", failureReason: "expired" });
    expect(logs.find("Payment marked as failed")).toEqual([
      expect.objectContaining({ paymentId, userId: payerId, reason: "expired" }),
    ]);

    const chargeId = `late_${paymentId}`;
    const webhook = await fetchJson(`${server.url}/master/webhook`, {
      headers: { "X-Telegram-Bot-Api-Secret-Token": webhookSecret },
      body: JSON.stringify(successfulPaymentUpdate(paymentId, { fromId: payerId, updateId: 1, chargeId })),
    });
    expect(webhook.status, webhook.text).toBe(200);

    const details = await eventually(async () => {
      const answer = await fetchJson<DetailsBody>(`${server.url}/api/payments/admin/${paymentId}`, {
        token: adminToken,
      });
      return answer.body.payment.extraCharges[0]?.refunded === true ? answer.body : undefined;
    }, "the refund reactor to refund the late charge");
    expect(details.payment).toMatchObject({
      status: "FAILED",
      failureReason: "expired",
      extraCharges: [{ reason: "payment_not_payable", refunded: true }],
    });
    expect(details.events.map((e) => e.type)).toEqual([
      "PaymentCreated",
      "InvoiceIssued",
      "PaymentFailed",
      "ExtraChargeReceived",
      "ExtraChargeRefunded",
    ]);
    expect(fake.callsOf("refundStarPayment").map((call) => call.body)).toEqual([
      { user_id: payerId, telegram_payment_charge_id: chargeId },
    ]);

    expect(await historyOf()).toEqual([expect.objectContaining({ paymentId, status: "FAILED" })]);
    const balance = await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token });
    expect(balance.body).toEqual({ userId: payerId, credits: 0 });
    const stats = await fetchJson<StatsBody>(`${server.url}/api/payments/admin/stats`, { token: adminToken });
    expect(stats.body.byStatus).toMatchObject({ PENDING: 0, PAID: 0, FAILED: 1 });
    expect(stats.body.failedByReason.expired).toBe(1);
    expect(stats.body.extraCharges).toMatchObject({ received: 1, refunded: 1, pendingRefund: 0 });
  });
};

describe("payment expiry over a real socket on SQLite", () => {
  expiryStory(() => {
    const dir = mkdtempSync(join(tmpdir(), "starledger-expiry-"));
    return Promise.resolve({
      env: { EVENT_STORE_URL: `sqlite:${join(dir, "l.db")}` },
      cleanUp: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  });
});

const skipReason = await postgresSkipReason();
if (skipReason !== undefined) console.warn(`expiry-over-socket.test.ts (PostgreSQL) skipped: ${skipReason}`);
(skipReason === undefined ? describe : describe.skip)(
  `payment expiry over a real socket on PostgreSQL${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    expiryStory(() => {
      const schema = randomTestSchema("sl_expiry");
      return Promise.resolve({
        env: { EVENT_STORE_URL: postgresTestUrl, POSTGRES_SCHEMA: schema, POSTGRES_POOL_SIZE: "4" },
        cleanUp: () => dropSchema(schema),
      });
    });
  },
);
