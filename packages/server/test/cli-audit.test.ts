import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { StarsLedger } from "@starledger/core";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertDistIsFresh, runCli } from "./support/cli-process.js";
import { runMain } from "./support/run-main.js";

const dir = mkdtempSync(join(tmpdir(), "starledger-cli-audit-"));
const db = join(dir, "ledger.db");
const env = { EVENT_STORE_URL: `sqlite:${db}`, PAYMENT_MODE: "MOCK" };
const run = async (...args: string[]) => {
  const result = await runMain(args, env);
  return { code: result.code, out: result.stdout, err: result.stderr };
};

beforeAll(async () => {
  const store = openSqliteEventStore({ path: db });
  const ledger = new StarsLedger(store, { starsToCreditsRate: 10, paymentTtlMs: 86_400_000, requireSameUser: true });
  const now = new Date("2026-11-26T10:00:00.000Z");
  for (const [index, paymentId] of [
    "0a0a0a0a-0000-4000-8000-000000000001",
    "0a0a0a0a-0000-4000-8000-000000000002",
  ].entries()) {
    (await ledger.createPayment({ paymentId, userId: 42, starsAmount: 10, now }))._unsafeUnwrap();
    (
      await ledger.recordSuccessfulPayment({
        invoicePayload: paymentId,
        telegramPaymentChargeId: `charge-${index}`,
        providerPaymentChargeId: "",
        currency: "XTR",
        totalAmount: 10,
        telegramUserId: 42,
        now,
      })
    )._unsafeUnwrap();
  }
  (await ledger.adjustCredits({ userId: 42, delta: 5, reason: "goodwill", admin: "admin:1", now }))._unsafeUnwrap();
  await store.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("starledger replay and audit as a process", () => {
  beforeAll(() => {
    assertDistIsFresh();
  });

  it("replay --json prints the store's totals, and audit export streams NDJSON to stdout", async () => {
    const replayed = await runCli(["replay", "--json"], env, { cwd: dir });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({
      events: 5,
      payments: { PENDING: 0, PAID: 2, FAILED: 0, REFUNDED: 0 },
      users: 1,
      totalCredits: 205,
      creditsIssued: 200,
    });
    const exported = await runCli(["audit", "export"], env, { cwd: dir });
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5).map((line) => (JSON.parse(line) as { position: string }).position)).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
    ]);
  });
});

describe("starledger audit and reconcile", () => {
  it("audit verify passes on an untouched store, anchor prints one line, export verifies offline against it", async () => {
    const verified = await run("audit", "verify");
    expect(verified.code).toBe(0);
    expect(verified.out).toContain("OK: every hash chain is intact");

    const anchored = await run("audit", "anchor", "--out", join(dir, "anchor.json"));
    expect(anchored.code).toBe(0);
    expect(anchored.out.trim()).toMatch(/^sl-anchor-v1:5:[0-9a-f]{64}$/);

    const exported = await run("audit", "export", "--out", join(dir, "export.ndjson"));
    expect(exported.code).toBe(0);
    const lines = readFileSync(join(dir, "export.ndjson"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(6);

    const offline = await run("audit", "verify", join(dir, "export.ndjson"), "--anchor", anchored.out.trim());
    expect(offline.code).toBe(0);
    expect(offline.out).toContain("OK: every hash chain is intact and the summary matches");
  });

  it("audit export without --out streams the NDJSON to stdout: one line per event, then the summary", async () => {
    const exported = await run("audit", "export", "--from", "2");
    expect(exported.code, exported.err).toBe(0);
    const lines = exported.out.trim().split("\n");
    expect(lines).toHaveLength(5);
    expect((JSON.parse(lines[0] ?? "") as { position: string }).position).toBe("2");
    expect(exported.err).toBe("");
  });

  it("audit verify FILE exits 1 and names the event when an exported event was edited", async () => {
    const path = join(dir, "export.ndjson");
    const lines = readFileSync(path, "utf8").trim().split("\n");
    const edited = lines.map((line, i) => (i === 1 ? line.replace('"credits":100', '"credits":1000') : line));
    expect(edited[1]).not.toBe(lines[1]);
    writeFileSync(join(dir, "edited.ndjson"), `${edited.join("\n")}\n`);
    const result = await run("audit", "verify", join(dir, "edited.ndjson"));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/BROKEN: .* at line 2/);
  });

  it("audit verify exits 1 after an edit made directly in the database, naming stream, revision and position", async () => {
    const sqlite = new Database(db);
    sqlite.prepare("UPDATE events SET data = json_set(data, '$.credits', 5000) WHERE position = 2").run();
    sqlite.close();
    const result = await run("audit", "verify", "--json");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as {
      ok: boolean;
      problems: { stream: string; revision: string; position: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({
      stream: "payment-0a0a0a0a-0000-4000-8000-000000000001",
      revision: "1",
      position: "2",
    });
  });

  it("reconcile in MOCK mode reports the ledger's charges that Telegram does not have, exit 1, with --json", async () => {
    const result = await run("reconcile", "--json");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { ok: boolean };
    expect(report.ok).toBe(false);
    expect(result.out).toContain("charge-0");
  });

  it("bad arguments exit 2 with a message", async () => {
    expect((await run("audit", "export", "--from", "abc")).code).toBe(2);
    expect((await run("audit", "verify", "--anchor", "not-an-anchor")).code).toBe(2);
    expect((await run("reconcile", "--max-pages", "0")).code).toBe(2);
    expect((await run("audit", "frobnicate")).code).toBe(2);
  });
});
