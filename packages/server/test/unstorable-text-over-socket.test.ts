import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyStore } from "@starledger/audit";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import { openEventStore, parseConfig, type RunningServer } from "../src/index.js";
import {
  caughtUp,
  fetchJson,
  ndjson,
  runbookCreateBody,
  runbookWebhookBody,
  type BalanceBody,
  type HistoryBody,
} from "./support/http-client.js";
import { startSocketServer } from "./support/socket-server.js";
import { testAuthSecret } from "./support/test-app.js";

const hourMs = 60 * 60 * 1000;
const pgSkipReason = await postgresSkipReason();
if (pgSkipReason !== undefined)
  console.warn(`unstorable-text-over-socket.test.ts on PostgreSQL skipped: ${pgSkipReason}`);

/**
 * The attack from issue 11 as Telegram (or anyone, without WEBHOOK_SECRET) would send it: a successful_payment whose
 * payload matches no payment, with the charge id's escape written into the JSON text, so JSON.parse makes a lone
 * surrogate (`\ud800`) or a NUL (`\u0000`) of it.
 */
const attack = (escape: string): string =>
  `{"update_id": 900, "message": {"successful_payment": {"currency": "XTR", "total_amount": 10, ` +
  `"invoice_payload": "no-such-payment", "telegram_payment_charge_id": "c${escape}"}}}`;

type StoreSetup = {
  readonly name: string;
  readonly skipReason: string | undefined;
  readonly env: () => Record<string, string>;
  readonly cleanup: () => Promise<void>;
};

const sqliteDir = mkdtempSync(join(tmpdir(), "starledger-text-"));
const pgSchema = randomTestSchema("sl_text");
const setups: StoreSetup[] = [
  {
    name: "SQLite",
    skipReason: undefined,
    env: () => ({ EVENT_STORE_URL: `sqlite:${join(sqliteDir, "l.db")}` }),
    cleanup: () => {
      rmSync(sqliteDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  },
  {
    name: "PostgreSQL",
    skipReason: pgSkipReason,
    env: () => ({ EVENT_STORE_URL: postgresTestUrl, POSTGRES_SCHEMA: pgSchema, POSTGRES_POOL_SIZE: "4" }),
    cleanup: () => dropSchema(pgSchema),
  },
];

describe.each(setups)("a charge id that is not well-formed text, over a real socket on $name", (setup) => {
  const suite = setup.skipReason === undefined ? describe : describe.skip;
  suite(setup.skipReason === undefined ? "the attack" : `the attack (skipped: ${setup.skipReason})`, () => {
    let server: RunningServer;
    let env: Record<string, string>;
    let adminToken: string;

    beforeAll(async () => {
      env = { ...setup.env(), PORT: "0", PAYMENT_MODE: "MOCK", AUTH_SECRET: testAuthSecret, LOG_LEVEL: "silent" };
      server = await startSocketServer(env);
      adminToken = await issueToken({ userId: 1, admin: true, ttlMs: hourMs }, testAuthSecret);
    });
    afterAll(async () => {
      await server.close();
      await setup.cleanup();
    });

    const events = async () =>
      ndjson((await fetchJson(`${server.url}/api/events?limit=10000`, { token: adminToken })).text);

    it("is answered 400 with a clear message and records nothing; /ready stays 200; a later payment is credited and seen; audit verify is clean", async () => {
      const user = 3001;
      const token = await issueToken({ userId: user, admin: false, ttlMs: hourMs }, testAuthSecret);
      const created = await fetchJson<{ paymentId: string }>(`${server.url}/api/payments/create`, {
        token,
        body: runbookCreateBody,
      });
      expect(created.status, created.text).toBe(201);
      const before = await events();

      for (const escape of ["\\ud800", "\\u0000"]) {
        const answered = await fetchJson<{ error: string; message: string }>(`${server.url}/master/webhook`, {
          body: attack(escape),
        });
        expect(answered.status, answered.text).toBe(400);
        expect(answered.body.error).toBe("InvalidUpdate");
        expect(answered.body.message).toContain("telegram_payment_charge_id");
        expect(answered.body.message).toContain("must be well-formed Unicode text without NUL");
      }
      expect(await events()).toEqual(before);
      await caughtUp(server.url);

      const paid = await fetchJson(`${server.url}/master/webhook`, {
        body: runbookWebhookBody(created.body.paymentId),
      });
      expect(paid.status, paid.text).toBe(200);
      const history = await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token });
      expect(history.body.payments).toEqual([
        expect.objectContaining({ paymentId: created.body.paymentId, status: "PAID", credits: 100 }),
      ]);
      const balance = await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token });
      expect(balance.body).toEqual({ userId: user, credits: 100 });
      await caughtUp(server.url);

      const config = parseConfig(env)._unsafeUnwrap();
      const opened = await openEventStore(config);
      if (!opened.ok) throw new Error(opened.error.message);
      try {
        const report = await verifyStore(opened.store);
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
      } finally {
        await opened.store.close();
      }
    });
  });
});
