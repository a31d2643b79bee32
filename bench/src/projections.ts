/**
 * Projections benchmark: replay events/s for 10k, 100k and 1M events against the rate at which the same
 * store's rows are merely read and JSON.parsed (raw driver, same run), and resident memory for the
 * balances of 1,000,000 users.
 *
 *   cd bench && npx tsx src/projections.ts
 *
 * Against the SQLite store (synchronous=NORMAL, temp file). Two raw baselines, both better-sqlite3 reading the
 * same rows and JSON.parsing data and metadata, nothing else: one SELECT streamed row by row (iterate), and pages
 * of 1,000 rows read whole (all), which is the faster of the two on this machine and so the headline ratio.
 * Each rate is the median of several interleaved passes (3 from 100k events, up to 15 for small sizes).
 * STARLEDGER_BENCH_STORE=memory uses the in-memory store instead
 * (baseline: JSON.parse of the same events serialised as rows beforehand).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { InMemoryEventStore, type EventStore } from "@starledger/core";
import { BalancesProjection, replay } from "@starledger/projections";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { loadBenchHistories, uuidOf } from "./bench-histories.js";

/** BENCH_EVENT_COUNTS=10000,100000 runs a shorter measurement. */
const eventCounts: readonly number[] = process.env.BENCH_EVENT_COUNTS?.split(",").map(Number) ?? [
  10_000, 100_000, 1_000_000,
];
const balanceUsers = 1_000_000;

/** A way to read every row and JSON.parse its data and metadata, doing nothing else; returns the row count. */
type RawRead = { readonly name: string; readonly run: () => number };

type BenchStore = {
  readonly name: string;
  readonly store: EventStore;
  /** Fastest first: the first is the headline baseline. */
  readonly rawReads: readonly RawRead[];
  readonly close: () => Promise<void>;
};

const sqliteStore = async (eventTarget: number): Promise<BenchStore> => {
  const directory = mkdtempSync(join(tmpdir(), "starledger-projections-bench-"));
  const path = join(directory, "events.db");
  const store = openSqliteEventStore({ path, synchronous: "NORMAL" });
  await loadBenchHistories(store, eventTarget, Math.max(1, Math.floor(eventTarget / 20)));
  const raw = new Database(path, { readonly: true });
  const columns = "position, id, stream, revision, type, data, metadata, recorded_at";
  const select = raw.prepare(`SELECT ${columns} FROM events ORDER BY position`).raw();
  const selectPage = raw
    .prepare<[number, number]>(`SELECT ${columns} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
    .raw();
  const pageRows = 1_000;
  return {
    name: "sqlite",
    store,
    rawReads: [
      {
        name: "paged",
        run: () => {
          let rows = 0;
          let after = 0;
          for (;;) {
            const page = selectPage.all(after, pageRows) as unknown[][];
            for (const row of page) {
              JSON.parse(row[5] as string);
              JSON.parse(row[6] as string);
            }
            rows += page.length;
            const last = page[page.length - 1];
            if (last === undefined || page.length < pageRows) return rows;
            after = last[0] as number;
          }
        },
      },
      {
        name: "streamed",
        run: () => {
          let rows = 0;
          for (const row of select.iterate() as IterableIterator<unknown[]>) {
            JSON.parse(row[5] as string);
            JSON.parse(row[6] as string);
            rows++;
          }
          return rows;
        },
      },
    ],
    close: async () => {
      raw.close();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
};

const memoryStore = async (eventTarget: number): Promise<BenchStore> => {
  const store = new InMemoryEventStore();
  await loadBenchHistories(store, eventTarget, Math.max(1, Math.floor(eventTarget / 20)));
  const rows: { data: string; metadata: string }[] = [];
  for await (const event of store.readAll())
    rows.push({ data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) });
  return {
    name: "memory",
    store,
    rawReads: [
      {
        name: "parse",
        run: () => {
          for (const row of rows) {
            JSON.parse(row.data);
            JSON.parse(row.metadata);
          }
          return rows.length;
        },
      },
    ],
    close: () => store.close(),
  };
};

/** Passes per size, more for small sizes whose passes take a few milliseconds; every rate reported is the median. */
const passesFor = (count: number): number => Math.max(3, Math.min(15, Math.ceil(200_000 / count)));
const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const percent = (fraction: number): string => `${(fraction * 100).toFixed(0)}%`;
const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;
const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Resident memory of the balances read model for `users` users, one PaymentPaid each, measured around it. */
const balancesMemory = (users: number): { rssMiB: number; rssDeltaMiB: number; heapUsedDeltaMiB: number } => {
  gc();
  const before = process.memoryUsage();
  const balances = new BalancesProjection();
  for (let u = 0; u < users; u++) {
    balances.apply({
      type: "PaymentPaid",
      data: {
        paymentId: uuidOf(u + 1),
        userId: 1_000_000 + u,
        telegramPaymentChargeId: `c${u}`,
        providerPaymentChargeId: "",
        totalAmount: 10,
        credits: 100,
        paidAt: "2025-01-01T00:00:00.000Z",
      },
    });
  }
  gc();
  const after = process.memoryUsage();
  if (balances.userCount() !== users || balances.totalCredits() !== users * 100)
    throw new Error("balances bench miscounted");
  return {
    rssMiB: mib(after.rss),
    rssDeltaMiB: mib(after.rss - before.rss),
    heapUsedDeltaMiB: mib(after.heapUsed - before.heapUsed),
  };
};

export async function runProjectionsBench(): Promise<Record<string, number>> {
  const wanted = process.env["STARLEDGER_BENCH_STORE"];
  const results: Record<string, number> = {};
  // First, while the heap is small, so the figure is the balances' own.
  const memory = balancesMemory(balanceUsers);
  results["balances_1M_users_rss_MiB"] = memory.rssMiB;
  results["balances_1M_users_rss_delta_MiB"] = memory.rssDeltaMiB;
  results["balances_1M_users_heap_delta_MiB"] = memory.heapUsedDeltaMiB;
  console.log(
    `balances of ${balanceUsers} users: rss ${memory.rssMiB} MiB (+${memory.rssDeltaMiB} MiB, heap +${memory.heapUsedDeltaMiB} MiB)`,
  );

  for (const count of eventCounts) {
    const loadStart = process.hrtime.bigint();
    const bench = wanted === "memory" ? await memoryStore(count) : await sqliteStore(count);
    const loadSeconds = seconds(loadStart);

    // Warm every path once on the small size only; at 100k and 1M the first pass is representative.
    if (count === eventCounts[0]) {
      for (const read of bench.rawReads) read.run();
      await replay(bench.store);
    }
    // Passes interleave the paths, so a slow patch of the machine touches all of them; each rate is a median.
    const rawRuns = bench.rawReads.map(() => [] as number[]);
    const storeReadRuns: number[] = [];
    const replayRuns: number[] = [];
    let replayed: Awaited<ReturnType<typeof replay>> | undefined;
    const passes = passesFor(count);
    for (let pass = 0; pass < passes; pass++) {
      for (const [index, read] of bench.rawReads.entries()) {
        gc();
        const rawStart = process.hrtime.bigint();
        const rows = read.run();
        rawRuns[index]?.push(rows / seconds(rawStart));
        if (rows !== count) throw new Error(`${read.name} read ${rows} of ${count} rows`);
      }

      gc();
      const readStart = process.hrtime.bigint();
      let storeRows = 0;
      for await (const _event of bench.store.readAll()) storeRows++;
      storeReadRuns.push(storeRows / seconds(readStart));

      replayed = undefined;
      gc();
      const replayStart = process.hrtime.bigint();
      replayed = await replay(bench.store);
      replayRuns.push(replayed.eventCount / seconds(replayStart));
      if (replayed.eventCount !== count) throw new Error(`replayed ${replayed.eventCount} of ${count} events`);
    }
    if (replayed === undefined) throw new Error("no replay pass ran");
    const rawRates = bench.rawReads.map((read, index) => ({ name: read.name, rate: median(rawRuns[index] ?? []) }));
    const headline = rawRates[0];
    if (headline === undefined) throw new Error("no raw read measured");
    const storeReadRate = median(storeReadRuns);
    const replayRate = median(replayRuns);
    const replaySeconds = count / replayRate;

    const coldStart = process.hrtime.bigint();
    replayed.models.stats();
    const statsColdMs = seconds(coldStart) * 1000;
    const statsStart = process.hrtime.bigint();
    const stats = replayed.models.stats();
    const statsMs = seconds(statsStart) * 1000;
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    const rssMiB = mib(rss);
    const heapMiB = mib(heapUsed);

    const key = `${bench.name}_${count}`;
    const ratio = (rate: number): number => Math.round((replayRate / rate) * 1000) / 1000;
    for (const raw of rawRates) {
      results[`${key}_raw_${raw.name}_read_parse_events_per_s`] = Math.round(raw.rate);
      results[`${key}_replay_vs_raw_${raw.name}_ratio`] = ratio(raw.rate);
    }
    results[`${key}_store_readAll_events_per_s`] = Math.round(storeReadRate);
    results[`${key}_replay_events_per_s`] = Math.round(replayRate);
    results[`${key}_replay_seconds`] = Math.round(replaySeconds * 1000) / 1000;
    results[`${key}_replay_vs_store_readAll_ratio`] = ratio(storeReadRate);
    results[`${key}_stats_cold_ms`] = Math.round(statsColdMs * 10) / 10;
    results[`${key}_stats_ms`] = Math.round(statsMs * 10) / 10;
    results[`${key}_rss_after_replay_MiB`] = rssMiB;
    results[`${key}_heap_after_replay_MiB`] = heapMiB;
    console.log(
      `${bench.name} ${count} events (loaded in ${loadSeconds.toFixed(1)} s, median of ${passes}): ` +
        rawRates.map((raw) => `raw ${raw.name} read+JSON.parse ${Math.round(raw.rate)}/s, `).join("") +
        `store.readAll ${Math.round(storeReadRate)}/s, replay ${Math.round(replayRate)}/s in ${replaySeconds.toFixed(2)} s ` +
        `= ${percent(replayRate / headline.rate)} of raw ${headline.name}, ` +
        rawRates
          .slice(1)
          .map((raw) => `${percent(replayRate / raw.rate)} of raw ${raw.name}, `)
          .join("") +
        `${percent(replayRate / storeReadRate)} of store.readAll; ` +
        `${replayed.models.payments.count()} payments, ${replayed.models.balances.userCount()} users, ` +
        `stats() ${statsMs.toFixed(1)} ms (cold ${statsColdMs.toFixed(1)} ms, ${stats.purchases} purchases); rss ${rssMiB} MiB, heap ${heapMiB} MiB`,
    );
    await bench.close();
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await runProjectionsBench();
  console.log(JSON.stringify(results, null, 2));
}
