import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import type { RunningServer, ServeOptions } from "../src/index.js";
import { fetchJson, runbookCreateBody, runbookWebhookBody } from "./support/http-client.js";
import { parseRawResponse, SlowClient } from "./support/slow-client.js";
import { startSocketServer } from "./support/socket-server.js";
import { testAuthSecret } from "./support/test-app.js";

const hourMs = 60 * 60 * 1000;
const pgSkipReason = await postgresSkipReason();
const dir = mkdtempSync(join(tmpdir(), "starledger-both-"));
const pgSchema = randomTestSchema("sl_both");

let sqliteFiles = 0;
const stores = [
  { name: "SQLite", env: () => ({ EVENT_STORE_URL: `sqlite:${join(dir, `l${sqliteFiles++}.db`)}` }), skip: undefined },
  {
    name: "PostgreSQL",
    env: () => ({ EVENT_STORE_URL: postgresTestUrl, POSTGRES_SCHEMA: pgSchema, POSTGRES_POOL_SIZE: "4" }),
    skip: pgSkipReason,
  },
];
if (pgSkipReason !== undefined) console.warn(`socket-both-stores.test.ts: PostgreSQL skipped: ${pgSkipReason}`);

afterAll(async () => {
  if (pgSkipReason === undefined) await dropSchema(pgSchema);
  rmSync(dir, { recursive: true, force: true });
});

for (const store of stores) {
  const suite = store.skip === undefined ? describe : describe.skip;
  suite(`over a real socket on ${store.name}`, () => {
    const start = (options: ServeOptions = {}): Promise<RunningServer> =>
      startSocketServer({ ...store.env(), PAYMENT_MODE: "MOCK" }, options);
    let server: RunningServer;
    const slowClients: SlowClient[] = [];
    beforeAll(async () => {
      server = await start();
    });
    afterEach(() => {
      for (const client of slowClients.splice(0)) client.destroy();
    });
    afterAll(async () => {
      await server.close();
    });

    it("create with an Idempotency-Key, pay through the webhook, create again with the key: 201 with status PAID", async () => {
      const token = await issueToken({ userId: 4004, admin: false, ttlMs: hourMs }, testAuthSecret);
      const headers = { "Idempotency-Key": `order-${store.name}` };
      type Created = { paymentId: string; status: string; invoiceLink: string };
      const url = `${server.url}/api/payments/create`;
      const first = await fetchJson<Created>(url, { token, body: runbookCreateBody, headers });
      expect(first.status, first.text).toBe(201);
      expect(first.body.status).toBe("PENDING");
      const paid = await fetchJson(`${server.url}/master/webhook`, {
        body: runbookWebhookBody(first.body.paymentId).replace("test_charge_123", `charge-${store.name}`),
      });
      expect(paid.status, paid.text).toBe(200);

      const replay = await fetchJson<Created>(url, { token, body: runbookCreateBody, headers });
      expect(replay.status, replay.text).toBe(201);
      expect(replay.body).toEqual({ ...first.body, status: "PAID" });
    });

    it("/api/events?after= takes every position a bigint holds, and refuses one past it with 400, not 500", async () => {
      const token = await issueToken({ userId: 1, admin: true, ttlMs: hourMs }, testAuthSecret);
      const last = await fetchJson(`${server.url}/api/events?after=9223372036854775807`, { token });
      expect(last.status, last.text).toBe(200);
      expect(last.text).toBe("");
      const past = await fetchJson<{ error: string; message: string }>(
        `${server.url}/api/events?after=9223372036854775808`,
        { token },
      );
      expect(past.status, past.text).toBe(400);
      expect(past.body.message).toContain("/after must be a whole number from 0 to 9223372036854775807");
    });

    it("a client that sends its headers and then trickles its body is answered 408 and disconnected by the server", async () => {
      const short = await start({ requestBodyDeadlineMs: 300 });
      try {
        const client = await SlowClient.start(short.url);
        slowClients.push(client);
        const end = await client.ended;
        expect(end.closedByServer).toBe(true);
        expect(parseRawResponse(end.received)).toEqual({
          status: 408,
          body: {
            error: "RequestTimeout",
            message: "Request too slow: its headers must arrive within 300 ms and all of it within 300 ms",
          },
        });
        // The server still answers everyone else.
        expect((await fetchJson(`${short.url}/health`)).status).toBe(200);
      } finally {
        await short.close();
      }
    });

    it("close() returns while a slow client holds a connection: after the grace period the server closes it", async () => {
      const closing = await start({ shutdownGraceMs: 200 });
      const requestSeen = once(closing.app.server, "request");
      const client = await SlowClient.start(closing.url);
      slowClients.push(client);
      await requestSeen; // its headers are in, so the connection is busy, not idle
      await closing.close();
      expect((await client.ended).closedByServer).toBe(true);
    });
  });
}
