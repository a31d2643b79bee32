import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import type { RunningServer } from "../src/index.js";
import { fetchJson, ndjson, runbookCreateBody, type BalanceBody, type HistoryBody } from "./support/http-client.js";
import { startSocketServer } from "./support/socket-server.js";
import { testAuthSecret } from "./support/test-app.js";
import { successfulPaymentUpdate } from "./support/updates.js";

const hourMs = 60 * 60 * 1000;

const successfulPayment = (updateId: number, invoicePayload: string, chargeId: string, fromId: number): string =>
  JSON.stringify(successfulPaymentUpdate(invoicePayload, { updateId, chargeId, fromId }));

/** Issue 11, defects 1 and 5, end to end: a real server on a real store, over a socket. */
const ledgerWideKeysOverSocket = (env: () => Record<string, string>) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startSocketServer({ ...env(), PAYMENT_MODE: "MOCK" });
  });
  afterAll(async () => {
    await server.close();
  });

  const tokenOf = (userId: number, admin = false) => issueToken({ userId, admin, ttlMs: hourMs }, testAuthSecret);
  const create = async (userId: number): Promise<string> => {
    const created = await fetchJson<{ paymentId: string }>(`${server.url}/api/payments/create`, {
      token: await tokenOf(userId),
      body: runbookCreateBody,
    });
    expect(created.status, created.text).toBe(201);
    return created.body.paymentId;
  };
  const webhook = async (body: string) => {
    const answer = await fetch(`${server.url}/master/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(answer.status, await answer.text()).toBe(200);
  };
  const history = async (userId: number) =>
    (await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token: await tokenOf(userId) })).body;
  const balance = async (userId: number) =>
    (await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token: await tokenOf(userId) })).body;
  const events = async () =>
    ndjson((await fetchJson(`${server.url}/api/events?limit=10000`, { token: await tokenOf(1, true) })).text);

  it("one charge id sent for two payments and with a payload that names none is credited on the first payment only", async () => {
    const first = await create(3001);
    const second = await create(3002);
    await webhook(successfulPayment(1, first, "charge-shared", 3001));
    await webhook(successfulPayment(2, second, "charge-shared", 3002));
    await webhook(successfulPayment(3, "no-such-payment", "charge-shared", 3002));

    expect((await history(3001)).payments).toEqual([expect.objectContaining({ paymentId: first, status: "PAID" })]);
    expect((await history(3002)).payments).toEqual([expect.objectContaining({ paymentId: second, status: "PENDING" })]);
    expect(await balance(3001)).toEqual({ userId: 3001, credits: 100 });
    expect(await balance(3002)).toEqual({ userId: 3002, credits: 0 });

    const details = await fetchJson<{ payment: Record<string, unknown>; events: { type: string }[] }>(
      `${server.url}/api/payments/admin/${second}`,
      { token: await tokenOf(1, true) },
    );
    expect(details.body.events.map((e) => e.type)).toEqual([
      "PaymentCreated",
      "InvoiceIssued",
      "ChargeConflictRecorded",
    ]);
    expect(details.body.payment).toMatchObject({
      status: "PENDING",
      conflictingCharges: [expect.objectContaining({ telegramPaymentChargeId: "charge-shared", telegramUserId: 3002 })],
    });
    const charged = (await events()).filter((e) => e.data.telegramPaymentChargeId === "charge-shared");
    expect(charged.map((e) => e.type)).toEqual(["PaymentPaid", "ChargeConflictRecorded"]);
  });

  it("an admin adjustment sent twice with one Idempotency-Key credits once, and answers the same both times", async () => {
    const adjust = async () =>
      fetchJson(`${server.url}/api/credits/admin/adjust`, {
        token: await tokenOf(1, true),
        headers: { "Idempotency-Key": "ticket-42" },
        body: JSON.stringify({ userId: 3003, delta: 100, reason: "webhook lost, ticket #42" }),
      });
    const first = await adjust();
    const second = await adjust();
    expect(first.status, first.text).toBe(201);
    expect(second.status, second.text).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await balance(3003)).toEqual({ userId: 3003, credits: 100 });
    expect((await events()).filter((e) => e.type === "CreditsAdjusted" && e.data.userId === 3003)).toHaveLength(1);
  });
};

describe("ledger-wide keys over a real socket, on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "starledger-keys-socket-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  ledgerWideKeysOverSocket(() => ({ EVENT_STORE_URL: `sqlite:${join(dir, "l.db")}` }));
});

const postgresUnreachable = await postgresSkipReason();

describe.skipIf(postgresUnreachable !== undefined)(
  `ledger-wide keys over a real socket, on PostgreSQL${postgresUnreachable === undefined ? "" : ` (skipped: ${postgresUnreachable})`}`,
  () => {
    const schema = randomTestSchema("sl_keys_http");
    afterAll(async () => {
      await dropSchema(schema);
    });
    ledgerWideKeysOverSocket(() => ({
      EVENT_STORE_URL: postgresTestUrl,
      POSTGRES_SCHEMA: schema,
      POSTGRES_POOL_SIZE: "4",
    }));
  },
);
