import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { NewEvent, RecordedEvent, Subscription } from "@starledger/core";
import { postgresTestUrl, withAdminClient } from "../src/testing/index.js";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";
import { collect, waitUntil } from "@starledger/core/testing";

const suite = skipReason === undefined ? describe : describe.skip;

const newEvent = (type = "Ordered", data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { schemaVersion: 1 },
});

/** A writer outside the store that calls the store's own append function inside a transaction it keeps open. */
const openRawWriter = async (): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString: postgresTestUrl });
  client.on("error", () => undefined);
  await client.connect();
  return client;
};

const appendSql = (schema: string): string =>
  `SELECT outcome, last_position FROM "${schema}".append_events($1, NULL, $2, $3, $4, $5)`;

/** append_events' parameters after the stream and expected revision. */
const appendArgs = (events: readonly NewEvent[]): string[][] => [
  events.map((e) => e.id),
  events.map((e) => e.type),
  events.map((e) => JSON.stringify(e.data)),
  events.map((e) => JSON.stringify(e.metadata)),
];

const tableOrder = (schema: string): Promise<{ id: string; position: string }[]> =>
  withAdminClient(
    async (client) =>
      (
        await client.query<{ id: string; position: string }>(
          `SELECT id, position FROM "${schema}".events ORDER BY position`,
        )
      ).rows,
  );

suite(`global order${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`, () => {
  let opened: OpenedStore | undefined;
  const subscriptions: Subscription[] = [];
  const rawClients: pg.Client[] = [];
  const pending: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await Promise.all(pending.splice(0).map((stop) => stop()));
    await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    await Promise.all(rawClients.splice(0).map((c) => c.end().catch(() => undefined)));
    await opened?.cleanup();
    opened = undefined;
  });

  it("a writer that took a position holds back every later writer until it commits, so readers never pass it", async () => {
    opened = await openTestStore();
    const { store, schema } = opened;
    const slow = await openRawWriter();
    rawClients.push(slow);

    await slow.query("BEGIN");
    const first = newEvent("First");
    const taken = await slow.query<{ outcome: string; last_position: string }>(appendSql(schema), [
      `slow-${randomUUID()}`,
      ...appendArgs([first]),
    ]);
    expect(taken.rows[0]?.outcome).toBe("appended");
    expect(taken.rows[0]?.last_position).toBe("1");

    let secondDone = false;
    const second = newEvent("Second");
    const secondAppend = store.appendToStream(`fast-${randomUUID()}`, [second], "no_stream").then((r) => {
      secondDone = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // With a plain sequence the second writer would have committed position 2 by now and a reader
    // would move its cursor past the still-invisible position 1.
    expect(secondDone).toBe(false);
    expect(await collect(store.readAll())).toEqual([]);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(0n);

    await slow.query("COMMIT");
    expect((await secondAppend)._unsafeUnwrap().position).toBe(2n);
    const all = await collect(store.readAll());
    expect(all.map((e) => [e.id, e.position])).toEqual([
      [first.id, 1n],
      [second.id, 2n],
    ]);
  });

  it("control: with a plain sequence the same interleaving loses an event, which is why positions are taken under a lock", async () => {
    opened = await openTestStore();
    const table = `"${opened.schema}".naive_events`;
    await withAdminClient((client) =>
      client.query(`CREATE TABLE ${table} (position bigserial PRIMARY KEY, label text NOT NULL)`),
    );
    const [a, b] = [await openRawWriter(), await openRawWriter()];
    rawClients.push(a, b);
    const readAfter = (after: string) =>
      withAdminClient(
        async (client) =>
          (
            await client.query<{ position: string; label: string }>(
              `SELECT position, label FROM ${table} WHERE position > $1 ORDER BY position`,
              [after],
            )
          ).rows,
      );

    await a.query("BEGIN");
    await a.query(`INSERT INTO ${table} (label) VALUES ('a')`);
    await b.query(`INSERT INTO ${table} (label) VALUES ('b')`);
    const firstRead = await readAfter("0");
    expect(firstRead.map((r) => r.label)).toEqual(["b"]);
    const cursor = firstRead[0]?.position ?? "0";
    await a.query("COMMIT");
    expect(await readAfter(cursor)).toEqual([]);
    expect((await readAfter("0")).map((r) => r.label)).toEqual(["a", "b"]);
  });

  it("a subscriber sees exactly the table, without gap or duplicate, while 8 connections and 2 slow transactions append", async () => {
    opened = await openTestStore({ poolSize: 8, pollIntervalMs: 200 });
    const { store, schema } = opened;
    const received: RecordedEvent[] = [];
    subscriptions.push(store.subscribe({}, (e) => void received.push(e)));

    // A second reader that pages with its own cursor, as a projection runner would.
    const polled: RecordedEvent[] = [];
    const state = { writing: true };
    const poller: Promise<void> = (async () => {
      let after = 0n;
      while (state.writing || polled.length < received.length) {
        const page = await collect(store.readAll({ after, limit: 50 }));
        polled.push(...page);
        after = page[page.length - 1]?.position ?? after;
        if (page.length === 0) {
          if (!state.writing) break;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
    })();
    pending.push(() => {
      state.writing = false;
      return poller.catch(() => undefined);
    });

    const fastWriters = 8;
    const appendsPerFastWriter = 40;
    const fast = Array.from({ length: fastWriters }, async (_, w) => {
      const stream = `fast-${w}-${randomUUID()}`;
      for (let i = 0; i < appendsPerFastWriter; i++) {
        const batch = Array.from({ length: 1 + (i % 3) }, () => newEvent("Fast", { w, i }));
        (await store.appendToStream(stream, batch, i === 0 ? "no_stream" : "any"))._unsafeUnwrap();
      }
    });

    const slowWriters = 2;
    const appendsPerSlowWriter = 8;
    const slow = Array.from({ length: slowWriters }, async (_, w) => {
      const client = await openRawWriter();
      rawClients.push(client);
      for (let i = 0; i < appendsPerSlowWriter; i++) {
        await client.query("BEGIN");
        await client.query("SELECT pg_sleep(0.01 * (random() * 3))");
        await client.query(appendSql(schema), [
          `slow-${w}-${i}-${randomUUID()}`,
          ...appendArgs([newEvent("Slow"), newEvent("Slow")]),
        ]);
        // Hold the transaction open after taking positions: every other writer must now wait.
        await client.query("SELECT pg_sleep(0.02)");
        await client.query("COMMIT");
      }
    });

    await Promise.all([...fast, ...slow]);
    const table = await tableOrder(schema);
    const fastEvents = Array.from({ length: appendsPerFastWriter }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    expect(table.length).toBe(fastWriters * fastEvents + slowWriters * appendsPerSlowWriter * 2);
    await waitUntil(() => received.length >= table.length, 20_000, `${table.length} events at the subscriber`);
    state.writing = false;
    await poller;
    await new Promise((resolve) => setTimeout(resolve, 50));

    const tableIds = table.map((row) => row.id);
    expect(received.map((e) => e.id)).toEqual(tableIds);
    expect(polled.map((e) => e.id)).toEqual(tableIds);
    expect(new Set(received.map((e) => e.id)).size).toBe(table.length);
    // Positions are dense: 1..n with nothing skipped, because an aborted append gives its positions back.
    expect(received.map((e) => e.position)).toEqual(table.map((_, i) => BigInt(i + 1)));
  });

  it("an append that fails after taking positions gives them back: the next append gets them", async () => {
    opened = await openTestStore();
    const { store, schema } = opened;
    (await store.appendToStream(`a-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
    const aborted = await openRawWriter();
    rawClients.push(aborted);
    await aborted.query("BEGIN");
    await aborted.query(appendSql(schema), [`aborted-${randomUUID()}`, ...appendArgs([newEvent(), newEvent()])]);
    await aborted.query("ROLLBACK");
    const next = (await store.appendToStream(`b-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
    expect(next.position).toBe(2n);
    expect((await collect(store.readAll())).map((e) => e.position)).toEqual([1n, 2n]);
  });
});
