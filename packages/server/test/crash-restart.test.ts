import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import { assertDistIsFresh, ServeProcess } from "./support/cli-process.js";
import {
  caughtUp,
  eventually,
  fetchJson,
  runbookCreateBody,
  runbookWebhookBody,
  type BalanceBody,
  type HistoryBody,
} from "./support/http-client.js";
import { testAuthSecret } from "./support/test-app.js";

let dir: string;
beforeAll(() => {
  assertDistIsFresh();
  dir = mkdtempSync(join(tmpdir(), "starledger-crash-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("serve killed with SIGKILL", () => {
  it("restarted on the same SQLite file, has lost nothing it acknowledged", async () => {
    const env = { EVENT_STORE_URL: `sqlite:${join(dir, "l.db")}`, AUTH_SECRET: testAuthSecret };
    const token = await issueToken({ userId: 31, admin: false, ttlMs: 60 * 60 * 1000 }, testAuthSecret);

    const first = await ServeProcess.start(env);
    let paymentId: string;
    let pendingId: string;
    try {
      const created = await fetchJson<{ paymentId: string }>(`${first.url}/api/payments/create`, {
        token,
        body: runbookCreateBody,
      });
      expect(created.status).toBe(201);
      paymentId = created.body.paymentId;
      expect((await fetchJson(`${first.url}/master/webhook`, { body: runbookWebhookBody(paymentId) })).status).toBe(
        200,
      );
      const pending = await fetchJson<{ paymentId: string }>(`${first.url}/api/payments/create`, {
        token,
        body: JSON.stringify({ starsAmount: 25 }),
      });
      expect(pending.status).toBe(201);
      pendingId = pending.body.paymentId;
    } finally {
      expect((await first.stop("SIGKILL")).signal).toBe("SIGKILL");
    }

    const second = await ServeProcess.start(env);
    try {
      const history = await eventually(async () => {
        const answer = await fetchJson<HistoryBody>(`${second.url}/api/payments/history`, { token });
        return answer.status === 200 && answer.body.payments.length === 2 ? answer.body : undefined;
      }, "the restarted server's history");
      expect(history.payments.map((p) => [p.paymentId, p.status, p.credits])).toEqual([
        [pendingId, "PENDING", 250],
        [paymentId, "PAID", 100],
      ]);
      expect((await fetchJson<BalanceBody>(`${second.url}/api/credits/balance`, { token })).body).toEqual({
        userId: 31,
        credits: 100,
      });
      // The charge is remembered across the crash: a redelivery credits nothing.
      expect((await fetchJson(`${second.url}/master/webhook`, { body: runbookWebhookBody(paymentId) })).status).toBe(
        200,
      );
      await caughtUp(second.url);
      expect((await fetchJson<BalanceBody>(`${second.url}/api/credits/balance`, { token })).body.credits).toBe(100);
    } finally {
      expect((await second.stop("SIGTERM")).code).toBe(0);
    }
  });
});
