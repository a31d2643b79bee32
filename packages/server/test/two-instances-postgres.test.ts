import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import type { RunningServer } from "../src/index.js";
import { caughtUp, eventually, fetchJson, ndjson, type BalanceBody, type HistoryBody } from "./support/http-client.js";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { startSocketServer } from "./support/socket-server.js";
import { testAuthSecret } from "./support/test-app.js";
import { successfulPaymentUpdate } from "./support/updates.js";

const skipReason = await postgresSkipReason();
const suite = skipReason === undefined ? describe : describe.skip;
if (skipReason !== undefined) console.warn(`two-instances-postgres.test.ts skipped: ${skipReason}`);
const hourMs = 60 * 60 * 1000;

/** `count` servers on one PostgreSQL schema. */
const startInstances = async (schema: string, count: number): Promise<RunningServer[]> => {
  const env = { EVENT_STORE_URL: postgresTestUrl, POSTGRES_SCHEMA: schema, POSTGRES_POOL_SIZE: "4" };
  const servers: RunningServer[] = [];
  for (let i = 0; i < count; i++) servers.push(await startSocketServer(env));
  return servers;
};

/** Telegram's successful_payment update for the payment, as the user's charge. */
const successfulPaymentBody = (paymentId: string, userId: number): string =>
  JSON.stringify(
    successfulPaymentUpdate(paymentId, { fromId: userId, updateId: 1, chargeId: `pg_charge_${paymentId}` }),
  );

suite(
  `two app instances on one PostgreSQL schema${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    const schema = randomTestSchema("sl_http");
    const servers: RunningServer[] = [];

    beforeAll(async () => {
      servers.push(...(await startInstances(schema, 2)));
    });
    afterAll(async () => {
      for (const server of servers.splice(0)) await server.close();
      await dropSchema(schema);
    });

    it("take the same updates concurrently: one credit per payment, and both converge on the same balances and history", async () => {
      const [a, b] = servers;
      if (a === undefined || b === undefined) throw new Error("servers did not start");
      expect(a.url).not.toBe(b.url);
      const users = [2001, 2002, 2003];
      const tokens = new Map<number, string>();
      for (const userId of users)
        tokens.set(userId, await issueToken({ userId, admin: false, ttlMs: hourMs }, testAuthSecret));
      const tokenOf = (userId: number): string => tokens.get(userId) ?? "";

      // Two payments per user, created alternately on each instance.
      const payments: { paymentId: string; userId: number }[] = [];
      for (const [i, userId] of [...users, ...users].entries()) {
        const server = i % 2 === 0 ? a : b;
        const created = await fetchJson<{ paymentId: string }>(`${server.url}/api/payments/create`, {
          token: tokenOf(userId),
          body: JSON.stringify({ starsAmount: 10 }),
        });
        expect(created.status, created.text).toBe(201);
        payments.push({ paymentId: created.body.paymentId, userId });
      }

      // Every payment's successful_payment reaches both instances five times each, all at once.
      const deliveries = payments.flatMap(({ paymentId, userId }) => {
        const body = successfulPaymentBody(paymentId, userId);
        return Array.from({ length: 10 }, (_, i) =>
          fetchJson(`${(i % 2 === 0 ? a : b).url}/master/webhook`, { body }).then((r) => r.status),
        );
      });
      const statuses = await Promise.all(deliveries);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);

      const adminToken = await issueToken({ userId: 1, admin: true, ttlMs: hourMs }, testAuthSecret);
      for (const server of [a, b]) {
        await caughtUp(server.url);
        const events = ndjson(
          await (
            await fetch(`${server.url}/api/events`, { headers: { Authorization: `Bearer ${adminToken}` } })
          ).text(),
        );
        for (const { paymentId } of payments) {
          expect(
            events.filter((e) => e.type === "PaymentPaid" && e.stream === `payment-${paymentId}`),
            paymentId,
          ).toHaveLength(1);
        }
      }

      for (const userId of users) {
        const views = await eventually(async () => {
          const seen = await Promise.all(
            [a, b].map(async (server) => ({
              balance: (await fetchJson<BalanceBody>(`${server.url}/api/credits/balance`, { token: tokenOf(userId) }))
                .body,
              history: (await fetchJson<HistoryBody>(`${server.url}/api/payments/history`, { token: tokenOf(userId) }))
                .body,
            })),
          );
          return seen.every(
            (v) =>
              v.balance.credits === 200 &&
              v.history.payments.length === 2 &&
              v.history.payments.every((p) => p.status === "PAID"),
          )
            ? seen
            : undefined;
        }, `both instances to show user ${userId} paid twice`);
        expect(views[0]).toEqual(views[1]);
        expect(views[0]?.balance).toEqual({ userId, credits: 200 });
      }

      const stats = await Promise.all(
        [a, b].map(
          async (server) =>
            (
              await fetchJson<{ byStatus: Record<string, number>; creditsIssued: number }>(
                `${server.url}/api/payments/admin/stats`,
                { token: adminToken },
              )
            ).body,
        ),
      );
      expect(stats[0]).toEqual(stats[1]);
      expect(stats[0]).toMatchObject({ byStatus: { PAID: 6, PENDING: 0 }, creditsIssued: 600 });
    });
  },
);
