import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import type { RunningServer } from "../src/index.js";
import {
  eventually,
  fetchJson,
  ndjson,
  runbookCreateBody,
  runbookWebhookBody,
  type BalanceBody,
  type HistoryBody,
} from "./support/http-client.js";
import { startSocketServer } from "./support/socket-server.js";
import { captureLogger, testAuthSecret } from "./support/test-app.js";

const hourMs = 60 * 60 * 1000;
let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "starledger-socket-"));
  server = await startSocketServer({ EVENT_STORE_URL: `sqlite:${join(dir, "l.db")}`, PAYMENT_MODE: "MOCK" });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const createAs = async (userId: number): Promise<{ paymentId: string; token: string }> => {
  const token = await issueToken({ userId, admin: false, ttlMs: hourMs }, testAuthSecret);
  const created = await fetchJson<{ paymentId: string; status: string; invoiceLink: string }>(
    `${server.url}/api/payments/create`,
    { token, body: runbookCreateBody },
  );
  expect(created.status, created.text).toBe(201);
  expect(created.body.status).toBe("PENDING");
  expect(created.body.invoiceLink).toMatch(/^https:\/\/t\.me\//);
  return { paymentId: created.body.paymentId, token };
};

const paidHistory = (token: string) =>
  eventually(async () => {
    const history = await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token });
    return history.body.payments[0]?.status === "PAID" ? history.body : undefined;
  }, "history to show PAID");

describe("the runbook's test payment flow over a real socket", () => {
  it("create with {starsAmount: 10}, the simulated successful_payment, then history PAID with 100 credits and balance 100", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { paymentId, token } = await createAs(1001);

    const webhook = await fetch(`${server.url}/master/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: runbookWebhookBody(paymentId),
    });
    expect(webhook.status).toBe(200);

    // Read your own writes: the very next calls show the payment, with no waiting or polling.
    const history = await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token });
    expect(history.body.payments).toEqual([
      expect.objectContaining({ paymentId, status: "PAID", credits: 100, starsAmount: 10 }),
    ]);
    const balance = await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token });
    expect(balance.body).toEqual({ userId: 1001, credits: 100 });
  });

  it("50 concurrent deliveries of the same update credit once", async () => {
    const { paymentId, token } = await createAs(1002);
    const body = runbookWebhookBody(paymentId).replace("test_charge_123", "test_charge_concurrent");
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${server.url}/master/webhook`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        }).then((r) => r.status),
      ),
    );
    expect(answers.filter((status) => status !== 200)).toEqual([]);

    await paidHistory(token);
    expect((await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token })).body.credits).toBe(100);
    const adminToken = await issueToken({ userId: 1, admin: true, ttlMs: hourMs }, testAuthSecret);
    const events = await fetch(`${server.url}/api/events`, { headers: { Authorization: `Bearer ${adminToken}` } });
    const paid = ndjson(await events.text()).filter(
      (e) => e.type === "PaymentPaid" && e.stream === `payment-${paymentId}`,
    );
    expect(paid).toHaveLength(1);
  });
});

describe("startServer with a logger of the caller's", () => {
  it("writes the runbook's log lines as pino JSON to that logger, without the bearer token or AUTH_SECRET", async () => {
    const logDir = mkdtempSync(join(tmpdir(), "starledger-log-"));
    const { logger, logs } = captureLogger("trace");
    // LOG_LEVEL is silent: the lines below reach the caller's logger all the same.
    const logged = await startSocketServer({ EVENT_STORE_URL: `sqlite:${join(logDir, "l.db")}` }, { logger });
    try {
      const token = await issueToken({ userId: 7, admin: false, ttlMs: hourMs }, testAuthSecret);
      const created = await fetchJson<{ paymentId: string }>(`${logged.url}/api/payments/create`, {
        token,
        body: runbookCreateBody,
      });
      expect(created.status).toBe(201);
      const paymentId = created.body.paymentId;
      const preCheckout = await fetchJson(`${logged.url}/master/webhook`, {
        body: JSON.stringify({
          update_id: 1,
          pre_checkout_query: {
            id: "q-1",
            from: { id: 7, is_bot: false, first_name: "A" },
            currency: "XTR",
            total_amount: 10,
            invoice_payload: paymentId,
          },
        }),
      });
      expect(preCheckout.body).toMatchObject({ ok: true });
      expect((await fetchJson(`${logged.url}/master/webhook`, { body: runbookWebhookBody(paymentId) })).status).toBe(
        200,
      );

      expect(logs.find("Payment record created")).toEqual([expect.objectContaining({ paymentId, userId: 7 })]);
      expect(logs.find("Pre-checkout approved")).toEqual([expect.objectContaining({ paymentId })]);
      expect(logs.find("Payment processed successfully")).toEqual([
        expect.objectContaining({ paymentId, credits: 100 }),
      ]);
      const text = logs.raw.join("");
      expect(text).not.toContain(token);
      expect(text).not.toContain(testAuthSecret);
    } finally {
      await logged.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
