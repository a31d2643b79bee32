import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import { runMain } from "./support/run-main.js";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { FakeBotApiServer, okResult } from "@starledger/telegram-adapter/testing";
import { fetchJson, runbookWebhookBody } from "./support/http-client.js";
import { startSocketServer } from "./support/socket-server.js";
import { testAuthSecret, testBotToken } from "./support/test-app.js";

const hourMs = 60 * 60 * 1000;
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "starledger-cli-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? "";

describe("starledger: usage", () => {
  it("--help prints the usage and exits 0", async () => {
    const run = await runMain(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: starledger <command>");
    for (const command of ["serve", "token", "replay", "webhook", "stars"]) expect(run.stdout).toContain(command);
  });

  it("an unknown command exits 2 and says which", async () => {
    const run = await runMain(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown command "frobnicate"');
  });

  it("no command prints the usage and exits 2", async () => {
    const run = await runMain([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("Usage: starledger");
  });

  it("<command> --help prints that command's options and exits 0", async () => {
    const run = await runMain(["token", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--user ID");
  });
});

describe("starledger token", () => {
  it("--user 5 --admin prints, as its last line, a token that verifies with AUTH_SECRET with sub 5 and role admin", async () => {
    const run = await runMain(["token", "--user", "5", "--admin"], {
      AUTH_SECRET: testAuthSecret,
      EVENT_STORE_URL: "memory:",
    });
    expect(run.code, run.stderr).toBe(0);
    const { payload } = await jwtVerify(lastLine(run.stdout), new TextEncoder().encode(testAuthSecret), {
      algorithms: ["HS256"],
    });
    expect(payload.sub).toBe("5");
    expect(payload.role).toBe("admin");
    expect(payload.iss).toBe("starledger");
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it("without --admin the token has no role; --ttl sets its lifetime", async () => {
    const run = await runMain(["token", "--user", "6", "--ttl", "30m"], {
      AUTH_SECRET: testAuthSecret,
      EVENT_STORE_URL: "memory:",
    });
    expect(run.code, run.stderr).toBe(0);
    const { payload } = await jwtVerify(lastLine(run.stdout), new TextEncoder().encode(testAuthSecret));
    expect(payload.role).toBeUndefined();
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(1800);
  });

  it("a --user that is not a positive whole number, or a bad --ttl, exits 2 with a message", async () => {
    for (const args of [
      ["--user", "abc"],
      ["--user", "0"],
      ["--user", "-3"],
      [],
      ["--user", "5", "--ttl", "400d"],
      ["--user", "5", "--ttl", "soon"],
    ]) {
      const run = await runMain(["token", ...args], { AUTH_SECRET: testAuthSecret, EVENT_STORE_URL: "memory:" });
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/--user|--ttl/);
      expect(run.stdout).toBe("");
    }
  });
});

/** Serves `storeUrl`, pays two payments and leaves one pending over HTTP; answers how many events the store holds. */
const seedOverHttp = async (storeUrl: string): Promise<number> => {
  const server = await startSocketServer({ EVENT_STORE_URL: storeUrl });
  try {
    const pay = async (userId: number, starsAmount: number, charge: string | undefined) => {
      const token = await issueToken({ userId, admin: false, ttlMs: hourMs }, testAuthSecret);
      const created = await fetchJson<{ paymentId: string }>(`${server.url}/api/payments/create`, {
        token,
        body: JSON.stringify({ starsAmount }),
      });
      expect(created.status).toBe(201);
      if (charge === undefined) return;
      const update = JSON.parse(runbookWebhookBody(created.body.paymentId)) as {
        message: { successful_payment: Record<string, unknown> };
      };
      update.message.successful_payment.total_amount = starsAmount;
      update.message.successful_payment.telegram_payment_charge_id = charge;
      expect((await fetchJson(`${server.url}/master/webhook`, { body: JSON.stringify(update) })).status).toBe(200);
    };
    await pay(11, 10, "c-1");
    await pay(12, 25, "c-2");
    await pay(12, 50, undefined);
    const adminToken = await issueToken({ userId: 1, admin: true, ttlMs: hourMs }, testAuthSecret);
    const events = await fetch(`${server.url}/api/events`, { headers: { Authorization: `Bearer ${adminToken}` } });
    return (await events.text()).split("\n").filter((l) => l !== "").length;
  } finally {
    await server.close();
  }
};

describe("starledger replay", () => {
  let storeUrl: string;
  let eventCount: number;

  beforeAll(async () => {
    storeUrl = `sqlite:${join(tempDir(), "l.db")}`;
    eventCount = await seedOverHttp(storeUrl);
  });

  it("--json prints one JSON object with events, payments by status, users, totalCredits, revenueStars, creditsIssued", async () => {
    const run = await runMain(["replay", "--json"], { EVENT_STORE_URL: storeUrl });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(eventCount).toBe(8);
    expect(summary).toMatchObject({
      events: eventCount,
      payments: { PENDING: 1, PAID: 2, FAILED: 0, REFUNDED: 0 },
      users: 2,
      totalCredits: 350,
      revenueStars: 35,
      creditsIssued: 350,
    });
  });

  it("without --json prints the same totals as text", async () => {
    const run = await runMain(["replay"], { EVENT_STORE_URL: storeUrl });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Replayed 8 events from sqlite:/m);
    expect(run.stdout).toContain("payments: PENDING 1, PAID 2, FAILED 0, REFUNDED 0");
    expect(run.stdout).toContain("users: 2");
    expect(run.stdout).toContain("totalCredits: 350");
    expect(run.stdout).toContain("revenueStars: 35");
    expect(run.stdout).toContain("creditsIssued: 350");
  });

  it("a read model that cannot apply an event is named with its position on stderr and in --json, and exits 1", async () => {
    const path = join(tempDir(), "bad.db");
    const store = openSqliteEventStore({ path });
    try {
      const paymentId = "00000000-0000-4000-8000-00000000dead";
      const appended = await store.appendToStream(
        `payment-${paymentId}`,
        [
          {
            id: randomUUID(),
            type: "InvoiceIssued",
            data: { paymentId, invoiceLink: "https://t.me/$x", issuedAt: new Date().toISOString() },
            metadata: { schemaVersion: 1 },
          },
        ],
        "no_stream",
      );
      expect(appended.isOk()).toBe(true);
    } finally {
      await store.close();
    }
    const run = await runMain(["replay"], { EVENT_STORE_URL: `sqlite:${path}` });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Replayed 1 events from sqlite:/m);
    expect(run.stderr).toMatch(/^Read model payments stopped at position 1, skipping nothing: .*never created/m);
    const json = await runMain(["replay", "--json"], { EVENT_STORE_URL: `sqlite:${path}` });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { stopped: unknown }).stopped).toEqual([
      { model: "payments", position: "1", checkpoint: "0", message: expect.stringMatching(/never created/) as string },
    ]);
  });

  it("an invalid setting exits 1 and names it", async () => {
    const run = await runMain(["replay"], { EVENT_STORE_URL: "mysql://nowhere" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("EVENT_STORE_URL");
  });
});

describe("starledger webhook and stars, in REAL mode against a Bot API on 127.0.0.1", () => {
  const fake = new FakeBotApiServer();
  let env: Record<string, string>;
  beforeAll(async () => {
    await fake.start();
    env = {
      PAYMENT_MODE: "REAL",
      MASTER_BOT_TOKEN: testBotToken,
      TELEGRAM_API_ROOT: fake.root,
      WEBHOOK_SECRET: "s3cret",
      EVENT_STORE_URL: "memory:",
    };
  });
  afterAll(async () => {
    await fake.stop();
  });

  it("webhook set sends the URL, WEBHOOK_SECRET as secret_token and allowed_updates [message, pre_checkout_query]", async () => {
    const run = await runMain(["webhook", "set", "--url", "https://x/master/webhook"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Webhook set to https://x/master/webhook");
    const [call, ...more] = fake.callsOf("setWebhook");
    expect(more).toHaveLength(0);
    expect(call?.path).toBe(`/bot${testBotToken}/setWebhook`);
    expect(call?.body).toMatchObject({
      url: "https://x/master/webhook",
      secret_token: "s3cret",
      allowed_updates: ["message", "pre_checkout_query"],
    });
  });

  it("webhook set refuses a URL that is not HTTPS with exit 2, without calling Telegram", async () => {
    const before = fake.requests.length;
    const run = await runMain(["webhook", "set", "--url", "http://x/master/webhook"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("HTTPS");
    expect(fake.requests).toHaveLength(before);
  });

  it("webhook info prints getWebhookInfo's answer", async () => {
    fake.queue(
      "getWebhookInfo",
      okResult({
        url: "https://x/master/webhook",
        has_custom_certificate: false,
        pending_update_count: 3,
        allowed_updates: ["message", "pre_checkout_query"],
      }),
    );
    const run = await runMain(["webhook", "info"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("https://x/master/webhook");
    expect(run.stdout).toMatch(/pending/i);
    expect(run.stdout).toContain("3");
    expect(fake.callsOf("getWebhookInfo").at(-1)?.path).toBe(`/bot${testBotToken}/getWebhookInfo`);
  });

  it("stars balance prints the bot's Star balance", async () => {
    const run = await runMain(["stars", "balance"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("42 Stars");
    expect(fake.callsOf("getMyStarBalance")).toHaveLength(1);
  });

  it("webhook set exits 1 with Telegram's reason when Telegram refuses", async () => {
    fake.queue("setWebhook", {
      status: 400,
      json: {
        ok: false,
        error_code: 400,
        description: "Bad Request: bad webhook: HTTPS url must be provided for webhook",
      },
    });
    const run = await runMain(["webhook", "set", "--url", "https://x/master/webhook"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("bad webhook");
  });
});

describe("starledger serve refuses to start", () => {
  it("REAL mode without MASTER_BOT_TOKEN exits 1 with 'Payment system not configured: MASTER_BOT_TOKEN is not set'", async () => {
    const run = await runMain(["serve"], {
      PAYMENT_MODE: "REAL",
      AUTH_SECRET: testAuthSecret,
      WEBHOOK_SECRET: "s3cret",
      EVENT_STORE_URL: "memory:",
      PORT: "0",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Payment system not configured: MASTER_BOT_TOKEN is not set");
  });

  it("REAL mode without WEBHOOK_SECRET exits 1 and names it", async () => {
    const run = await runMain(["serve"], {
      PAYMENT_MODE: "REAL",
      MASTER_BOT_TOKEN: testBotToken,
      AUTH_SECRET: testAuthSecret,
      EVENT_STORE_URL: "memory:",
      PORT: "0",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("WEBHOOK_SECRET");
  });

  it("REAL mode without AUTH_SECRET exits 1", async () => {
    const run = await runMain(["serve"], {
      PAYMENT_MODE: "REAL",
      MASTER_BOT_TOKEN: testBotToken,
      WEBHOOK_SECRET: "s3cret",
      EVENT_STORE_URL: "memory:",
      PORT: "0",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AUTH_SECRET is required");
  });
});
