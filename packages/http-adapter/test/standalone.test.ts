import { readFileSync } from "node:fs";
import { InMemoryEventStore, ledgerConfig, StarsLedger } from "@starledger/core";
import { createProjections } from "@starledger/projections";
import { createMockBotApi, createWebhookService, telegramConfig } from "@starledger/telegram-adapter";
import { describe, expect, it } from "vitest";
import { buildApp, createMetrics, httpConfig, issueToken } from "../src/index.js";

// @starledger/server composes the real service and tests it end to end. These tests prove the package stands alone:
// anyone can build the app on core's in-memory store without installing a store driver.

const authSecret = "standalone-auth-secret-0123456789-abcdef";

describe("@starledger/http-adapter on its own", () => {
  it("depends on no store driver, not even for its tests", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as Record<
      string,
      Record<string, string> | undefined
    >;
    const names = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"].flatMap((field) =>
      Object.keys(manifest[field] ?? {}),
    );
    expect(names.filter((name) => /^(@starledger\/store-|better-sqlite3$|pg$|@eventstore\/)/.test(name))).toEqual([]);
  });

  it("owns its settings: PORT 8001 on 127.0.0.1 by default, no admins, AUTH_SECRET a secret of at least 32 characters", () => {
    expect(httpConfig.schema.parse({})).toEqual({ PORT: 8001, HOST: "127.0.0.1", ADMIN_USER_IDS: [] });
    expect(httpConfig.secretNames).toEqual(["AUTH_SECRET"]);
    expect(httpConfig.schema.safeParse({ AUTH_SECRET: "short" }).error?.issues[0]?.message).toBe(
      "expected at least 32 characters",
    );
  });

  it("buildApp on core's in-memory store: a payment is created, paid through the webhook, and the balance shows it", async () => {
    const store = new InMemoryEventStore();
    const config = {
      ...ledgerConfig.schema.parse({}),
      ...telegramConfig.schema.parse({}),
      ...httpConfig.schema.parse({}),
    };
    const projections = createProjections(store);
    const ledger = new StarsLedger(store, { starsToCreditsRate: 10, paymentTtlMs: 60_000, requireSameUser: true });
    const botApi = createMockBotApi();
    const webhook = createWebhookService({
      ledger,
      botApi,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      settings: { preCheckoutAnswer: "reply" },
    });
    await projections.start();
    const app = await buildApp({
      config,
      store,
      ledger,
      projections,
      botApi,
      webhook,
      metrics: createMetrics(projections),
      auth: { authSecret, botToken: undefined, adminUserIds: [], initDataMaxAgeMs: 60_000 },
    });
    try {
      const authorization = `Bearer ${await issueToken({ userId: 7, admin: false, ttlMs: 60_000 }, authSecret)}`;
      const created = await app.inject({
        method: "POST",
        url: "/api/payments/create",
        headers: { authorization },
        payload: { starsAmount: 10 },
      });
      expect(created.statusCode, created.body).toBe(201);
      const { paymentId } = created.json<{ paymentId: string }>();
      const paid = await app.inject({
        method: "POST",
        url: "/master/webhook",
        payload: {
          update_id: 1,
          message: {
            from: { id: 7, is_bot: false, first_name: "Ada" },
            successful_payment: {
              currency: "XTR",
              total_amount: 10,
              invoice_payload: paymentId,
              telegram_payment_charge_id: "standalone-charge",
            },
          },
        },
      });
      expect(paid.statusCode, paid.body).toBe(200);
      const balance = await app.inject({ method: "GET", url: "/api/credits/balance", headers: { authorization } });
      expect(balance.json()).toEqual({ userId: 7, credits: 100 });
    } finally {
      await app.close();
      await projections.stop();
      await store.close();
    }
  });
});
