/**
 * @starledger/store-sqlite against the raw better-sqlite3 driver doing the same inserts into the same
 * table (WAL, synchronous=FULL for every durable figure).
 *
 * Store appends are single-event appends with an exact expected revision:
 * - concurrency 1: one writer, one stream, each append awaited before the next;
 * - concurrency 64: 64 writers, each on its OWN stream (64 distinct streams), each awaiting its previous append.
 * Raw baselines insert the same rows in the same stream pattern (64 streams, round robin) with the
 * store's pragmas: (a) all in one transaction (one fsync: the driver's limit), (b) autocommit, one
 * transaction and fsync per insert (a store append's durability), (c) 64 inserts per transaction
 * (what a perfect group commit of 64 appenders could reach).
 * readAll: the store's readAll (paged, JSON parsed, zod-validated) vs the raw driver paging the same
 * query and JSON.parse-ing data and metadata.
 * Each figure is the best of `rounds` interleaved rounds on fresh files: other load only slows a run down.
 *
 * Run: cd bench && npx tsx src/sqlite-store.ts
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import type { ExpectedRevision } from "@starledger/core";
import { newEvent, perSecond } from "./bench-events.js";
import { migrations, openSqliteEventStore, sqliteStoreDefaults, type SqliteEventStore } from "@starledger/store-sqlite";

const rounds = 3;
const sequentialAppends = 1_000;
/** fsync-bound runs stop early on a slow disk: each measures at most this long. */
const fsyncBoundRunMaxMs = 1_500;
const concurrentWriters = 64;
const appendsPerConcurrentWriter = 200;
const concurrentAppends = concurrentWriters * appendsPerConcurrentWriter;
const rawAutocommitInserts = 1_000;
const readPageSizeEvents = 1_000;
const warmupAppends = 256;

/** One writer on one stream, each append awaited before the next. */
const storeSequential = async (store: SqliteEventStore, appends: number): Promise<number> => {
  const stream = `payment-seq-${randomUUID()}`;
  let expected: ExpectedRevision = "no_stream";
  const started = performance.now();
  let done = 0;
  while (done < appends && performance.now() - started < fsyncBoundRunMaxMs) {
    expected = (await store.appendToStream(stream, [newEvent()], expected))._unsafeUnwrap().nextRevision;
    done++;
  }
  return perSecond(done, started);
};

/** `writers` writers, each on its own stream, each awaiting its previous append. */
const storeConcurrent = async (store: SqliteEventStore, writers: number, appendsEach: number): Promise<number> => {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const stream = `payment-conc-${randomUUID()}`;
      let expected: ExpectedRevision = "no_stream";
      for (let i = 0; i < appendsEach; i++) {
        expected = (await store.appendToStream(stream, [newEvent()], expected))._unsafeUnwrap().nextRevision;
      }
    }),
  );
  return perSecond(writers * appendsEach, started);
};

const storeReadAll = async (store: SqliteEventStore): Promise<{ perSecond: number; events: number }> => {
  let events = 0;
  const started = performance.now();
  for await (const event of store.readAll()) if (event.position > 0n) events++;
  return { perSecond: perSecond(events, started), events };
};

/** A raw connection with the store's schema and pragmas, so both write the same table, indexes and WAL. */
const openRaw = (path: string): Database.Database => {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma(`wal_autocheckpoint = ${sqliteStoreDefaults.walAutocheckpointPages}`);
  for (const migration of migrations) db.exec(migration.sql);
  return db;
};

/** Inserts rows like the store@64 run: `concurrentWriters` streams, round robin, one event per row. */
const rawInserter = (db: Database.Database): ((count: number) => void) => {
  const insert = db.prepare(
    "INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const streams = Array.from({ length: concurrentWriters }, () => `payment-raw-${randomUUID()}`);
  let inserted = 0;
  return (count) => {
    for (let i = 0; i < count; i++, inserted++) {
      const event = newEvent();
      const stream = streams[inserted % streams.length] ?? "";
      const revision = Math.floor(inserted / streams.length);
      insert.run(
        event.id,
        stream,
        revision,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        Date.now(),
      );
    }
  };
};

const rawOneTransaction = (db: Database.Database, inserts: number): number => {
  const insert = rawInserter(db);
  const started = performance.now();
  db.transaction(() => {
    insert(inserts);
  })();
  return perSecond(inserts, started);
};

const rawPerTransaction = (
  db: Database.Database,
  inserts: number,
  perTransaction: number,
  maxMs = Number.POSITIVE_INFINITY,
): number => {
  const insert = rawInserter(db);
  const transaction = db.transaction(() => {
    insert(perTransaction);
  });
  const started = performance.now();
  let done = 0;
  while (done < inserts && performance.now() - started < maxMs) {
    transaction.immediate();
    done += perTransaction;
  }
  return perSecond(done, started);
};

const rawReadAll = (db: Database.Database): number => {
  const page = db.prepare<[number, number], { position: number; data: string; metadata: string }>(
    "SELECT position, id, stream, revision, type, data, metadata, recorded_at FROM events WHERE position > ? ORDER BY position LIMIT ?",
  );
  let events = 0;
  let after = 0;
  const started = performance.now();
  for (;;) {
    const rows = page.all(after, readPageSizeEvents);
    for (const row of rows) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      events++;
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < readPageSizeEvents) break;
    after = last.position;
  }
  return perSecond(events, started);
};

type RoundFigures = Record<
  | "storeAt1"
  | "storeAt64"
  | "storeReadAll"
  | "rawOneTransaction"
  | "rawAutocommit"
  | "rawPer64"
  | "rawReadAll"
  | "appendsPerTransaction",
  number
>;

const runRound = async (directory: string, round: number): Promise<RoundFigures> => {
  const store = openSqliteEventStore({ path: join(directory, `store-${round}.db`) });
  await storeConcurrent(store, 8, warmupAppends / 8);
  await storeSequential(store, warmupAppends);
  const storeAt1 = await storeSequential(store, sequentialAppends);
  const before = store.stats();
  const storeAt64 = await storeConcurrent(store, concurrentWriters, appendsPerConcurrentWriter);
  const after = store.stats();
  const read = await storeReadAll(store);
  await store.close();

  const raw = openRaw(join(directory, `raw-${round}.db`));
  rawOneTransaction(raw, warmupAppends);
  const rawTransaction = rawOneTransaction(raw, concurrentAppends);
  const rawAutocommit = rawPerTransaction(raw, rawAutocommitInserts, 1, fsyncBoundRunMaxMs);
  const rawPer64 = rawPerTransaction(raw, concurrentAppends, concurrentWriters);
  const rawRead = rawReadAll(raw);
  raw.close();
  return {
    storeAt1,
    storeAt64,
    storeReadAll: read.perSecond,
    rawOneTransaction: rawTransaction,
    rawAutocommit,
    rawPer64,
    rawReadAll: rawRead,
    appendsPerTransaction:
      (after.appendsCommitted - before.appendsCommitted) / (after.transactions - before.transactions),
  };
};

export async function runSqliteStoreBench(): Promise<Record<string, number>> {
  const directory = mkdtempSync(join(tmpdir(), "starledger-bench-sqlite-"));
  try {
    const best: Partial<RoundFigures> = {};
    for (let round = 0; round < rounds; round++) {
      const figures = await runRound(directory, round);
      for (const [name, value] of Object.entries(figures) as [keyof RoundFigures, number][]) {
        best[name] = Math.max(best[name] ?? 0, value);
      }
    }
    const figure = (name: keyof RoundFigures): number => best[name] ?? 0;
    return {
      "store appends/s @1 (one stream)": figure("storeAt1"),
      "store appends/s @64 (64 distinct streams)": figure("storeAt64"),
      "store readAll events/s": figure("storeReadAll"),
      "raw inserts/s, one transaction": figure("rawOneTransaction"),
      "raw inserts/s, autocommit (FULL)": figure("rawAutocommit"),
      "raw inserts/s, 64 per transaction (FULL)": figure("rawPer64"),
      "raw readAll events/s (JSON.parse)": figure("rawReadAll"),
      "ratio store@64 / raw one-transaction": figure("storeAt64") / figure("rawOneTransaction"),
      "ratio store@64 / raw 64-per-transaction": figure("storeAt64") / figure("rawPer64"),
      "ratio store@1 / raw autocommit": figure("storeAt1") / figure("rawAutocommit"),
      "ratio store readAll / raw readAll": figure("storeReadAll") / figure("rawReadAll"),
      "store appends per transaction @64 (mean)": figure("appendsPerTransaction"),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const format = (name: string, value: number): string =>
  name.startsWith("ratio") ? `${(value * 100).toFixed(1)} %` : Math.round(value).toLocaleString("en-US");

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runSqliteStoreBench();
  console.log(
    `SQLite store vs raw better-sqlite3 (WAL, synchronous=FULL, single-event appends; best of ${rounds} rounds)`,
  );
  console.table(Object.fromEntries(Object.entries(results).map(([name, value]) => [name, format(name, value)])));
  const ratio = results["ratio store@64 / raw one-transaction"] ?? 0;
  console.log(`store@64 / raw one-transaction = ${(ratio * 100).toFixed(1)} % (target >= 25 %)`);
}
