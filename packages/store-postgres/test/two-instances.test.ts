import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { NewEvent, RecordedEvent, Subscription } from "@starledger/core";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";
import { collect, waitUntil } from "@starledger/core/testing";

const suite = skipReason === undefined ? describe : describe.skip;

const newEvent = (data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type: "Shared",
  data,
  metadata: { schemaVersion: 1 },
});

suite(`two store instances on one schema${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`, () => {
  const opened: OpenedStore[] = [];
  const subscriptions: Subscription[] = [];
  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    // Both share the schema: close the second first, the first's cleanup drops it.
    for (const o of opened.splice(0).reverse()) await o.cleanup();
  });

  it("give one winner per revision under concurrent appends, and each subscriber sees the other's events", async () => {
    // Polling effectively off: only NOTIFY (and local appends) can wake the subscribers.
    const first = await openTestStore({ poolSize: 4, pollIntervalMs: 600_000 });
    opened.push(first);
    const second = await openTestStore({ schema: first.schema, poolSize: 4, pollIntervalMs: 600_000 });
    opened.push(second);
    const stores = [first.store, second.store];

    const seen = stores.map(() => [] as RecordedEvent[]);
    stores.forEach((store, i) => subscriptions.push(store.subscribe({}, (e) => void seen[i]?.push(e))));

    const stream = `payment-${randomUUID()}`;
    (await first.store.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();
    const rounds = 8;
    const writersPerStore = 4;
    const winnersByStore = [0, 0];
    for (let round = 0; round < rounds; round++) {
      const attempts = stores.flatMap((store, s) =>
        Array.from({ length: writersPerStore }, async () => ({
          s,
          result: await store.appendToStream(stream, [newEvent({ round })], BigInt(round)),
        })),
      );
      const results = await Promise.all(attempts);
      const winners = results.filter((r) => r.result.isOk());
      expect(winners).toHaveLength(1);
      for (const w of winners) winnersByStore[w.s] = (winnersByStore[w.s] ?? 0) + 1;
      for (const loser of results.filter((r) => r.result.isErr())) {
        expect(loser.result._unsafeUnwrapErr()).toMatchObject({ type: "ConcurrencyError", actual: BigInt(round + 1) });
      }
    }
    // Independent streams from both instances, interleaved.
    await Promise.all(
      stores.map(async (store, s) => {
        for (let i = 0; i < 20; i++)
          (await store.appendToStream(`side-${s}-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
      }),
    );

    const all = await collect(first.store.readAll());
    expect(all).toHaveLength(1 + rounds + 40);
    expect((await second.store.readStream(stream))._unsafeUnwrap().events.map((e) => e.revision)).toEqual(
      Array.from({ length: rounds + 1 }, (_, i) => BigInt(i)),
    );
    for (const received of seen) {
      await waitUntil(() => received.length >= all.length, 10_000, `${all.length} events at each subscriber`);
      expect(received.map((e) => e.id)).toEqual(all.map((e) => e.id));
    }
  });

  it("recover from batches that collide creating the same streams: every append lands once", async () => {
    const first = await openTestStore({ poolSize: 4 });
    opened.push(first);
    const second = await openTestStore({ schema: first.schema, poolSize: 4 });
    opened.push(second);
    const streams = Array.from({ length: 40 }, () => `payment-${randomUUID()}`);
    const results = await Promise.all(
      [first.store, second.store].flatMap((store) =>
        streams.map((stream) => store.appendToStream(stream, [newEvent()], "any")),
      ),
    );
    for (const r of results) expect(r.isOk()).toBe(true);
    for (const stream of streams) {
      expect((await first.store.readStream(stream))._unsafeUnwrap().events.map((e) => e.revision)).toEqual([0n, 1n]);
    }
  });
});
