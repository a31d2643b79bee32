import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { RecordedEvent } from "@starledger/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { latestSchemaVersion, openSqliteEventStore, SchemaTooNewError, type SqliteEventStore } from "../src/index.js";
import { migrations } from "../src/schema-migrations.js";
import { newEvent } from "./new-event.js";
import { tempDatabase } from "./temp-database.js";
import { waitUntil } from "@starledger/core/testing";

describe("schema and reopening", () => {
  let path: string;
  let cleanup: () => Promise<void>;
  const stores: SqliteEventStore[] = [];
  const open = (options: { pollIntervalMs?: number } = {}): SqliteEventStore => {
    const store = openSqliteEventStore({ path, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    ({ path, cleanup } = await tempDatabase());
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await cleanup();
  });

  it("creates the missing parent directory, the schema and a WAL file", async () => {
    path = join(path, "..", "nested", "deeper", "events.db");
    const store = open();
    (await store.appendToStream("payment-1", [newEvent()], "no_stream"))._unsafeUnwrap();
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all()).toEqual(
      Array.from({ length: latestSchemaVersion }, (_, i) => i + 1),
    );
    db.close();
  });

  it("reopening a file keeps its events and applies no migration twice", async () => {
    const first = open();
    const events = [newEvent("A", { n: 1 }), newEvent("B", { n: 2 })];
    const appended = (await first.appendToStream("payment-keep", events, "no_stream"))._unsafeUnwrap();
    await first.close();
    const again = open();
    const read = (await again.readStream("payment-keep"))._unsafeUnwrap();
    expect(read.events.map((e) => [e.id, e.type, e.data, e.revision])).toEqual([
      [events[0]?.id, "A", { n: 1 }, 0n],
      [events[1]?.id, "B", { n: 2 }, 1n],
    ]);
    expect((await again.headPosition())._unsafeUnwrap()).toBe(appended.position);
    expect((await again.appendToStream("payment-keep", events, "no_stream"))._unsafeUnwrap()).toEqual({
      ...appended,
      alreadyRecorded: true,
    });
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM schema_migrations").pluck().get()).toBe(latestSchemaVersion);
    db.close();
  });

  it("positions keep increasing across a reopen", async () => {
    const first = open();
    const before = (await first.appendToStream("payment-p", [newEvent()], "no_stream"))._unsafeUnwrap();
    await first.close();
    const after = (await open().appendToStream("payment-p", [newEvent()], 0n))._unsafeUnwrap();
    expect(after.position).toBeGreaterThan(before.position);
  });

  describe("a file from schema version 1 (recorded_at as ISO text)", () => {
    /** Writes a version 1 file by hand: its table, its migration record and `rows`, with the sequence at `seq`. */
    const writeVersion1 = (rows: readonly { position: number; recordedAt: string }[], seq: number): void => {
      const db = new Database(path);
      db.exec(
        `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
      );
      db.exec(migrations[0]?.sql ?? "");
      db.prepare("INSERT INTO schema_migrations VALUES (1, 'events table', '2025-01-01T00:00:00.000Z')").run();
      const insert = db.prepare(
        "INSERT INTO events VALUES (?, ?, ?, ?, 'PaymentCreated', '{\"n\":1}', '{\"schemaVersion\":1}', ?)",
      );
      for (const [index, row] of rows.entries())
        insert.run(row.position, `id-${row.position}`, "payment-old", index, row.recordedAt);
      db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'").run(seq);
      db.close();
    };

    it("is migrated on open: same rows and positions, the same instants, and no position ever reused", async () => {
      const times = ["2025-01-01T00:00:00.000Z", "2025-06-30T23:59:59.999Z", "2026-11-26T10:00:00.123Z"];
      writeVersion1(
        times.map((recordedAt, index) => ({ position: index + 1, recordedAt })),
        40,
      );
      const store = open();
      const read = (await store.readStream("payment-old"))._unsafeUnwrap();
      expect(read.events.map((e) => [e.position, e.id, e.revision, e.recordedAt.toISOString()])).toEqual(
        times.map((time, index) => [BigInt(index + 1), `id-${index + 1}`, BigInt(index), time]),
      );
      // Events 4..40 were never written (or were lost): AUTOINCREMENT's high-water mark survives the rebuild.
      const next = (await store.appendToStream("payment-new", [newEvent()], "no_stream"))._unsafeUnwrap();
      expect(next.position).toBe(41n);
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all()).toEqual([1, 2]);
      expect(db.prepare("SELECT typeof(recorded_at) FROM events GROUP BY 1").pluck().all()).toEqual(["integer"]);
      db.close();
    });

    it("is left as it was when a recorded_at cannot be read as a time: the migration fails whole", () => {
      writeVersion1(
        [
          { position: 1, recordedAt: "2025-01-01T00:00:00.000Z" },
          { position: 2, recordedAt: "yesterday" },
        ],
        2,
      );
      expect(() => openSqliteEventStore({ path })).toThrow(/NOT NULL constraint failed: events_v2.recorded_at/);
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT MAX(version) FROM schema_migrations").pluck().get()).toBe(1);
      expect(db.prepare("SELECT recorded_at FROM events ORDER BY position").pluck().all()).toEqual([
        "2025-01-01T00:00:00.000Z",
        "yesterday",
      ]);
      db.close();
    });
  });

  it("refuses to open a file written by a newer schema", async () => {
    await open().close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', ?)").run(
      latestSchemaVersion + 1,
      new Date().toISOString(),
    );
    db.close();
    expect(() => openSqliteEventStore({ path })).toThrow(SchemaTooNewError);
  });

  it("rejects a bad option with a message naming it", () => {
    expect(() => openSqliteEventStore({ path, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
  });

  it("works in memory", async () => {
    const store = openSqliteEventStore({ path: ":memory:" });
    stores.push(store);
    (await store.appendToStream("payment-m", [newEvent()], "no_stream"))._unsafeUnwrap();
    expect((await store.readStream("payment-m"))._unsafeUnwrap().revision).toBe(0n);
  });

  it("a second handle on the same file sees the first one's appends through subscribe polling", async () => {
    const writer = open();
    const reader = open({ pollIntervalMs: 20 });
    const received: RecordedEvent[] = [];
    const subscription = reader.subscribe({}, (event) => void received.push(event));
    const events = [newEvent(), newEvent(), newEvent()];
    for (const [i, event] of events.entries()) {
      (await writer.appendToStream("payment-shared", [event], i === 0 ? "no_stream" : BigInt(i - 1)))._unsafeUnwrap();
    }
    await waitUntil(() => received.length >= 3, 5_000);
    await subscription.close();
    expect(received.map((e) => e.id)).toEqual(events.map((e) => e.id));
    // And the reader's own appends check revisions against what the writer committed.
    expect((await reader.appendToStream("payment-shared", [newEvent()], 1n))._unsafeUnwrapErr().type).toBe(
      "ConcurrencyError",
    );
    expect((await reader.appendToStream("payment-shared", [newEvent()], 2n))._unsafeUnwrap().nextRevision).toBe(3n);
  });
});
