import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { StarsLedger } from "@starledger/core";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../dist/cli.js");
const dir = mkdtempSync(join(tmpdir(), "starledger-cli-audit-"));
const db = join(dir, "ledger.db");
const env = { ...process.env, EVENT_STORE_URL: `sqlite:${db}`, LOG_LEVEL: "silent", PAYMENT_MODE: "MOCK" };
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [cli, ...args], { env, encoding: "utf8", cwd: dir, timeout: 30_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
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

describe("starledger audit and reconcile as a process", () => {
  it("audit verify passes on an untouched store, anchor prints one line, export verifies offline against it", () => {
    const verified = run("audit", "verify");
    expect(verified.code).toBe(0);
    expect(verified.out).toContain("OK: every hash chain is intact");

    const anchored = run("audit", "anchor", "--out", join(dir, "anchor.json"));
    expect(anchored.code).toBe(0);
    expect(anchored.out.trim()).toMatch(/^sl-anchor-v1:5:[0-9a-f]{64}$/);

    const exported = run("audit", "export", "--out", join(dir, "export.ndjson"));
    expect(exported.code).toBe(0);
    const lines = readFileSync(join(dir, "export.ndjson"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(6);

    const offline = run("audit", "verify", join(dir, "export.ndjson"), "--anchor", anchored.out.trim());
    expect(offline.code).toBe(0);
    expect(offline.out).toContain("OK: every hash chain is intact and the summary matches");
  });

  it("audit verify FILE exits 1 and names the event when an exported event was edited", () => {
    const path = join(dir, "export.ndjson");
    const lines = readFileSync(path, "utf8").trim().split("\n");
    const edited = lines.map((line, i) => (i === 1 ? line.replace('"credits":100', '"credits":1000') : line));
    expect(edited[1]).not.toBe(lines[1]);
    writeFileSync(join(dir, "edited.ndjson"), `${edited.join("\n")}\n`);
    const result = run("audit", "verify", join(dir, "edited.ndjson"));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/BROKEN: .* at line 2/);
  });

  it("audit verify exits 1 after an edit made directly in the database, naming stream, revision and position", () => {
    const sqlite = new Database(db);
    sqlite.prepare("UPDATE events SET data = json_set(data, '$.credits', 5000) WHERE position = 2").run();
    sqlite.close();
    const result = run("audit", "verify", "--json");
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

  it("reconcile in MOCK mode reports the ledger's charges that Telegram does not have, exit 1, with --json", () => {
    const result = run("reconcile", "--json");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { ok: boolean };
    expect(report.ok).toBe(false);
    expect(result.out).toContain("charge-0");
  });

  it("bad arguments exit 2 with a message", () => {
    expect(run("audit", "export", "--from", "abc").code).toBe(2);
    expect(run("audit", "verify", "--anchor", "not-an-anchor").code).toBe(2);
    expect(run("reconcile", "--max-pages", "0").code).toBe(2);
    expect(run("audit", "frobnicate").code).toBe(2);
  });
});
