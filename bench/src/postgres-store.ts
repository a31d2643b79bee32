/**
 * @starledger/store-postgres against the raw `pg` driver doing the same inserts, and against the peer
 * library Emmett (@event-driven-io/emmett-postgresql), on the same server, in a database of its own
 * (created here and dropped at the end).
 *
 * Store appends are single-event appends, each to a new stream ("no_stream"), each awaited:
 * - concurrency 1: one writer;
 * - concurrency 8: eight writers, each awaiting its previous append.
 * Raw baselines, into a table shaped like the store's (bigserial position, json data): (a) all inserts
 * in one transaction (one commit: the driver's limit); (b) autocommit, one commit per insert (the
 * durability of a store append), at concurrency 1 and 8.
 * readAll: the store's readAll (paged, rows validated) vs the raw driver paging the same query.
 * Emmett: getPostgreSQLEventStore(url).appendToStream(stream, [{ type, data }]) at concurrency 1.
 *
 * Run: cd bench && npx tsx src/postgres-store.ts
 */
import { randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { getPostgreSQLEventStore } from "@event-driven-io/emmett-postgresql";
import { newEvent, paymentData, perSecond } from "./bench-events.js";
import { createPostgresEventStore, type PostgresEventStore } from "@starledger/store-postgres";

const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Measurements alternate in rounds (ours, raw, Emmett, ...) so load from other processes hits all alike; figures are medians. */
const rounds = 7;
const sequentialAppendsPerRound = 300;
const concurrentWriters = 8;
const appendsPerConcurrentWriterPerRound = 60;
const emmettAppendsPerRound = 150;
const rawOneTransactionInserts = 10_000;
const readAllRepeats = 3;
const warmupAppends = 200;
const readPageSizeEvents = 1_000;

/*
 * Emmett's dumbo rewires pg's process-wide parsers (int8 to bigint, json through its own serializer)
 * when its store is created. Our store uses its own parsers; the raw baseline keeps pg's defaults,
 * captured here before Emmett loads its pool.
 */
const pgDefaultParsers = new Map<number, unknown>(
  [pg.types.builtins.INT8, pg.types.builtins.JSON, pg.types.builtins.JSONB].map((oid) => [
    oid,
    pg.types.getTypeParser(oid),
  ]),
);
const pgDefaultTypes: pg.CustomTypesConfig = {
  // prettier-ignore
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-enum-assignment -- pg's overloaded parser type cannot be named here
  getTypeParser: ((oid: number) => pgDefaultParsers.get(oid) ?? pg.types.getTypeParser(oid)) as pg.CustomTypesConfig["getTypeParser"],
};

/** The server URL with another database name. */
const databaseUrl = (database: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

const withAdmin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** `writers` writers, each appending `appendsEach` single events, each to a new stream. */
const storeAppends = async (store: PostgresEventStore, writers: number, appendsEach: number): Promise<number> => {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < appendsEach; i++) {
        (await store.appendToStream(`payment-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
      }
    }),
  );
  return perSecond(writers * appendsEach, started);
};

const storeReadAll = async (store: PostgresEventStore): Promise<{ perSecond: number; events: number }> => {
  let events = 0;
  const started = performance.now();
  for await (const _ of store.readAll()) events++;
  return { perSecond: perSecond(events, started), events };
};

const rawTableSql = `CREATE TABLE raw_events (
  position    bigserial   PRIMARY KEY,
  stream      text        NOT NULL,
  revision    bigint      NOT NULL,
  id          text        NOT NULL UNIQUE,
  type        text        NOT NULL,
  data        json        NOT NULL,
  metadata    json        NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream, revision)
)`;
const rawInsertSql =
  "INSERT INTO raw_events (stream, revision, id, type, data, metadata) VALUES ($1, 0, $2, $3, $4, $5)";

const rawInsert = (client: pg.ClientBase): Promise<unknown> => {
  const event = newEvent();
  return client.query({
    name: "raw_insert",
    text: rawInsertSql,
    values: [
      `payment-${randomUUID()}`,
      event.id,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
    ],
  });
};

const rawOneTransaction = async (pool: pg.Pool, inserts: number): Promise<number> => {
  const client = await pool.connect();
  try {
    const started = performance.now();
    await client.query("BEGIN");
    for (let i = 0; i < inserts; i++) await rawInsert(client);
    await client.query("COMMIT");
    return perSecond(inserts, started);
  } finally {
    client.release();
  }
};

/** Autocommit inserts from `writers` connections, each insert its own transaction. */
const rawAutocommit = async (pool: pg.Pool, writers: number, insertsEach: number): Promise<number> => {
  const clients = await Promise.all(Array.from({ length: writers }, () => pool.connect()));
  try {
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < insertsEach; i++) await rawInsert(client);
      }),
    );
    return perSecond(writers * insertsEach, started);
  } finally {
    for (const client of clients) client.release();
  }
};

const rawReadAll = async (pool: pg.Pool): Promise<number> => {
  let events = 0;
  let after = "0";
  const started = performance.now();
  for (;;) {
    const page = await pool.query<{ position: string }>({
      name: "raw_read",
      text: "SELECT position, id, stream, revision, type, data, metadata, recorded_at FROM raw_events WHERE position > $1 ORDER BY position LIMIT $2",
      values: [after, readPageSizeEvents],
    });
    events += page.rows.length;
    const last = page.rows[page.rows.length - 1];
    if (last === undefined || page.rows.length < readPageSizeEvents) break;
    after = last.position;
  }
  return perSecond(events, started);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

type Emmett = ReturnType<typeof getPostgreSQLEventStore>;

const emmettAppends = async (emmett: Emmett, appends: number): Promise<number> => {
  const started = performance.now();
  for (let i = 0; i < appends; i++) {
    await emmett.appendToStream(`payment-${randomUUID()}`, [{ type: "PaymentCreated", data: paymentData() }]);
  }
  return perSecond(appends, started);
};

export async function runPostgresStoreBench(): Promise<Record<string, number>> {
  const database = `starledger_bench_${randomBytes(4).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  const url = databaseUrl(database);
  const store = (
    await createPostgresEventStore({ connectionString: url, schema: "starledger", poolSize: concurrentWriters })
  )._unsafeUnwrap();
  const pool = new pg.Pool({ connectionString: url, max: concurrentWriters, types: pgDefaultTypes });
  const emmett = getPostgreSQLEventStore(url);
  try {
    await pool.query(rawTableSql);
    await storeAppends(store, 1, warmupAppends);
    await rawAutocommit(pool, 1, warmupAppends);
    await emmettAppends(emmett, warmupAppends);

    const samples = {
      ours1: [] as number[],
      ours8: [] as number[],
      raw1: [] as number[],
      raw8: [] as number[],
      emmett1: [] as number[],
      ratio: [] as number[],
    };
    for (let round = 0; round < rounds; round++) {
      const ours1 = await storeAppends(store, 1, sequentialAppendsPerRound);
      const emmett1 = await emmettAppends(emmett, emmettAppendsPerRound);
      samples.ours1.push(ours1);
      samples.emmett1.push(emmett1);
      samples.ratio.push(ours1 / emmett1);
      samples.raw1.push(await rawAutocommit(pool, 1, sequentialAppendsPerRound));
      samples.ours8.push(await storeAppends(store, concurrentWriters, appendsPerConcurrentWriterPerRound));
      samples.raw8.push(await rawAutocommit(pool, concurrentWriters, appendsPerConcurrentWriterPerRound));
    }
    const oneTransaction = await rawOneTransaction(pool, rawOneTransactionInserts);

    // Read as many rows raw as the store holds, so the two readAll figures compare.
    const storeEvents = (await store.headPosition())._unsafeUnwrap();
    await pool.query("DELETE FROM raw_events WHERE position > (SELECT min(position) FROM raw_events) + $1", [
      (storeEvents - 1n).toString(),
    ]);
    const readOurs: number[] = [];
    const readRaw: number[] = [];
    for (let i = 0; i < readAllRepeats; i++) {
      readOurs.push((await storeReadAll(store)).perSecond);
      readRaw.push(await rawReadAll(pool));
    }

    return {
      "ours appends/s @1": median(samples.ours1),
      "ours appends/s @8": median(samples.ours8),
      "ours readAll events/s": median(readOurs),
      "raw pg inserts/s, one transaction": oneTransaction,
      "raw pg inserts/s, autocommit @1": median(samples.raw1),
      "raw pg inserts/s, autocommit @8": median(samples.raw8),
      "raw pg readAll rows/s": median(readRaw),
      "emmett appends/s @1": median(samples.emmett1),
      "ratio ours@1 / emmett@1": median(samples.ratio),
      "ratio ours@1 / raw autocommit@1": median(samples.ours1) / median(samples.raw1),
      "ratio ours@8 / raw autocommit@8": median(samples.ours8) / median(samples.raw8),
      "ratio ours readAll / raw readAll": median(readOurs) / median(readRaw),
      "events read": Number(storeEvents),
    };
  } finally {
    await store.close();
    await pool.end();
    await emmett.close();
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const results = await runPostgresStoreBench();
  for (const [name, value] of Object.entries(results)) {
    console.log(`${name.padEnd(40)} ${name.startsWith("ratio") ? value.toFixed(2) : Math.round(value).toString()}`);
  }
}
