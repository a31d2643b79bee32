import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventStore, NewEvent, RecordedEvent, Subscription } from "../event-store.js";
import { streamReadCases } from "./stream-read-conformance.js";
import { collect, waitUntil } from "./wait.js";

export type StoreUnderTest = { readonly store: EventStore; readonly cleanup?: () => Promise<void> };
export type StoreFactory = () => Promise<StoreUnderTest>;

export type ConformanceOptions = {
  /** When set, the suite is skipped and this reason shown (e.g. no server configured). */
  readonly skipReason?: string;
  /** Concurrent writers in the stress cases; lower it for stores with a small connection pool. */
  readonly writers?: number;
  /**
   * Default true: an event id is unique across all streams, which the ledger relies on to claim a charge id
   * ledger-wide. false skips that case, for a store that can only check ids within a stream.
   */
  readonly eventIdsUniqueAcrossStreams?: boolean;
};

const newEvent = (type = "TestEvent", data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  data: { ...data, nonce: randomUUID() },
  metadata: { schemaVersion: 1, correlationId: randomUUID() },
});

/** Every case writes only to streams carrying this run's tag and reads back only those, so a shared server (EventStoreDB) holding other data still passes. */
let runTag = randomUUID().slice(0, 8);
const uniqueStream = (label: string): string => `payment-t${runTag}-${label}-${randomUUID()}`;
const mine = (events: readonly RecordedEvent[]): RecordedEvent[] =>
  events.filter((e) => e.stream.startsWith(`payment-t${runTag}-`));

/**
 * The EventStore conformance suite. Every store runs it against a real database:
 * `eventStoreConformance("sqlite", async () => ({ store: openStore(tmpFile()), cleanup }))`.
 */
export const eventStoreConformance = (name: string, factory: StoreFactory, options: ConformanceOptions = {}): void => {
  const suite = options.skipReason === undefined ? describe : describe.skip;
  const writers = options.writers ?? 16;
  const idsAcrossStreams = options.eventIdsUniqueAcrossStreams ?? true;
  const title =
    options.skipReason === undefined
      ? `EventStore conformance: ${name}`
      : `EventStore conformance: ${name} (skipped: ${options.skipReason})`;

  suite(title, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;
    const subscriptions: Subscription[] = [];

    beforeEach(async () => {
      runTag = randomUUID().slice(0, 8);
      const made = await factory();
      store = made.store;
      cleanup = made.cleanup;
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
      await store.close();
      await cleanup?.();
    });

    it("reads a missing stream as empty", async () => {
      const read = (await store.readStream(uniqueStream("missing")))._unsafeUnwrap();
      expect(read.events).toEqual([]);
      expect(read.revision).toBe("no_stream");
    });

    it("round-trips events with ids, types, data, metadata, revisions, positions and times", async () => {
      const stream = uniqueStream("roundtrip");
      const events = [
        newEvent("A", { n: 1, nested: { list: [1, "two", null] } }),
        newEvent("B", { text: "ünïcødé ✓" }),
      ];
      const before = Date.now();
      const appended = (await store.appendToStream(stream, events, "no_stream"))._unsafeUnwrap();
      expect(appended.nextRevision).toBe(1n);
      const read = (await store.readStream(stream))._unsafeUnwrap();
      expect(read.revision).toBe(1n);
      expect(read.events.map((e) => [e.id, e.type, e.data, e.metadata, e.stream, e.revision])).toEqual(
        events.map((e, i) => [e.id, e.type, e.data, e.metadata, stream, BigInt(i)]),
      );
      const [first, second] = read.events;
      expect(first?.position).toBeGreaterThan(0n);
      expect(second?.position).toBeGreaterThan(first?.position ?? 0n);
      expect(appended.position).toBe(second?.position);
      expect(first?.recordedAt).toBeInstanceOf(Date);
      expect(first?.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5000);
      expect((await store.headPosition())._unsafeUnwrap()).toBe(appended.position);
    });

    streamReadCases({ store: () => store, stream: uniqueStream, event: newEvent });

    it("refuses a lone surrogate or NUL anywhere in stream, type, data or metadata, and writes nothing", async () => {
      const good = uniqueStream("text");
      (await store.appendToStream(good, [newEvent("Before", { text: "pair 😀 ok" })], "no_stream"))._unsafeUnwrap();
      const head = (await store.headPosition())._unsafeUnwrap();
      const bad = (mutate: (event: NewEvent) => NewEvent): NewEvent[] => [newEvent("Fine"), mutate(newEvent())];
      const cases: [string, string, NewEvent[], string][] = [
        ["a lone surrogate in the stream name", `${good}-c\ud800`, [newEvent()], "stream"],
        ["NUL in the stream name", `${good}-c\u0000`, [newEvent()], "stream"],
        ["a lone surrogate in the type", good, bad((e) => ({ ...e, type: "T\udc00" })), "events[1].type"],
        ["NUL in the id", good, bad((e) => ({ ...e, id: `${e.id}\u0000` })), "events[1].id"],
        [
          "a lone surrogate deep in data",
          good,
          bad((e) => ({ ...e, data: { nested: { list: [1, "ok", "c\ud800"] } } })),
          "events[1].data.nested.list[2]",
        ],
        [
          "NUL in a data key",
          good,
          bad((e) => ({ ...e, data: { "k\u0000": 1 } })),
          'events[1].data["k\\u0000"] (a key)',
        ],
        [
          "a lone surrogate in metadata",
          good,
          bad((e) => ({ ...e, metadata: { ...e.metadata, correlationId: "\udfff" } })),
          "events[1].metadata.correlationId",
        ],
        [
          "NUL in a metadata key",
          good,
          bad((e) => ({ ...e, metadata: { ...e.metadata, "\u0000": "x" } })),
          'events[1].metadata["\\u0000"] (a key)',
        ],
      ];
      for (const [what, stream, events, field] of cases) {
        const [refused, alongside] = await Promise.all([
          store.appendToStream(stream, events, "any"),
          store.appendToStream(uniqueStream("alongside"), [newEvent("Alongside")], "no_stream"),
        ]);
        expect(refused._unsafeUnwrapErr(), what).toMatchObject({ type: "InvalidEventData", field });
        // A refused append does not take down the appends committed with it.
        expect(alongside.isOk(), what).toBe(true);
      }
      const refusedRead = await store.readStream(`${good}-c\ud800`);
      expect(refusedRead._unsafeUnwrapErr()).toMatchObject({ type: "InvalidEventData", field: "stream" });
      const written = mine(await collect(store.readAll({ after: head })));
      expect(written.map((e) => e.type)).toEqual(cases.map(() => "Alongside"));
      const kept = (await store.readStream(good))._unsafeUnwrap().events;
      expect(kept.map((e) => [e.type, e.data.text])).toEqual([["Before", "pair 😀 ok"]]);
      expect((await store.appendToStream(good, [newEvent("After")], 0n))._unsafeUnwrap().nextRevision).toBe(1n);
    });

    it("enforces no_stream, any and an exact revision", async () => {
      const stream = uniqueStream("expected");
      (await store.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();
      const again = await store.appendToStream(stream, [newEvent()], "no_stream");
      expect(again._unsafeUnwrapErr()).toMatchObject({ type: "ConcurrencyError", stream });
      expect((await store.appendToStream(stream, [newEvent()], 0n))._unsafeUnwrap().nextRevision).toBe(1n);
      expect((await store.appendToStream(stream, [newEvent()], 0n))._unsafeUnwrapErr().type).toBe("ConcurrencyError");
      expect((await store.appendToStream(stream, [newEvent()], 5n))._unsafeUnwrapErr().type).toBe("ConcurrencyError");
      expect((await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap().nextRevision).toBe(2n);
      expect(
        (await store.appendToStream(uniqueStream("fresh-any"), [newEvent()], "any"))._unsafeUnwrap().nextRevision,
      ).toBe(0n);
      const missing = await store.appendToStream(uniqueStream("missing-exact"), [newEvent()], 0n);
      expect(missing._unsafeUnwrapErr().type).toBe("ConcurrencyError");
      expect((await store.readStream(stream))._unsafeUnwrap().events).toHaveLength(3);
    });

    it("a conflicting append writes nothing and leaves the stream writable", async () => {
      const stream = uniqueStream("conflict");
      (await store.appendToStream(stream, [newEvent(), newEvent()], "no_stream"))._unsafeUnwrap();
      const head = (await store.headPosition())._unsafeUnwrap();
      const rejected = [newEvent("Rejected"), newEvent("Rejected")];
      expect((await store.appendToStream(stream, rejected, 0n))._unsafeUnwrapErr().type).toBe("ConcurrencyError");
      expect((await store.headPosition())._unsafeUnwrap()).toBe(head);
      const all = mine(await collect(store.readAll()));
      expect(all.filter((e) => e.type === "Rejected")).toEqual([]);
      // The wedge the peer library has on SQLite: after a rejected append the stream must still take the right one.
      const retried = await store.appendToStream(stream, rejected, 1n);
      expect(retried._unsafeUnwrap().nextRevision).toBe(3n);
      expect((await store.readStream(stream))._unsafeUnwrap().events.map((e) => e.type)).toEqual([
        "TestEvent",
        "TestEvent",
        "Rejected",
        "Rejected",
      ]);
    });

    it("parallel appends to one stream: exactly one winner per revision", async () => {
      const stream = uniqueStream("race");
      (await store.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();
      for (let round = 0; round < 5; round++) {
        const expected = BigInt(round);
        const results = await Promise.all(
          Array.from({ length: writers }, () => store.appendToStream(stream, [newEvent("Race")], expected)),
        );
        const winners = results.filter((r) => r.isOk());
        expect(winners).toHaveLength(1);
        for (const loser of results.filter((r) => r.isErr()))
          expect(loser._unsafeUnwrapErr().type).toBe("ConcurrencyError");
      }
      const read = (await store.readStream(stream))._unsafeUnwrap();
      expect(read.events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    });

    it("the same event ids appended again are recognised and written once", async () => {
      const stream = uniqueStream("idempotent");
      const batch = [newEvent(), newEvent()];
      const first = (await store.appendToStream(stream, batch, "no_stream"))._unsafeUnwrap();
      expect(first.alreadyRecorded ?? false).toBe(false);
      const second = (await store.appendToStream(stream, batch, "no_stream"))._unsafeUnwrap();
      expect(second).toEqual({ nextRevision: first.nextRevision, position: first.position, alreadyRecorded: true });
      (await store.appendToStream(stream, [newEvent()], 1n))._unsafeUnwrap();
      // Recognised even when the stream has moved on since.
      expect((await store.appendToStream(stream, batch, "no_stream"))._unsafeUnwrap()).toEqual(second);
      expect((await store.readStream(stream))._unsafeUnwrap().events).toHaveLength(3);
      const partial = await store.appendToStream(stream, [batch[0] ?? newEvent(), newEvent()], 2n);
      expect(partial.isErr()).toBe(true);
      expect((await store.readStream(stream))._unsafeUnwrap().events).toHaveLength(3);
    });

    it.skipIf(!idsAcrossStreams)(
      `an event id already recorded on another stream is refused with DuplicateEventId and writes nothing${idsAcrossStreams ? "" : " (skipped: this store checks ids within a stream only)"}`,
      async () => {
        const holder = uniqueStream("claim-holder");
        const other = uniqueStream("claim-other");
        const claim = newEvent("Claim");
        (await store.appendToStream(holder, [claim], "no_stream"))._unsafeUnwrap();
        (await store.appendToStream(other, [newEvent()], "no_stream"))._unsafeUnwrap();
        const head = (await store.headPosition())._unsafeUnwrap();
        // The same id with other data (as a ledger-wide key gives it), alone or after a fresh event, at any expectation.
        const again = { ...claim, data: { other: true } };
        for (const [batch, expected] of [
          [[again], 0n],
          [[newEvent("Rejected"), again], 0n],
          [[again, newEvent("Rejected")], "any"],
        ] as const) {
          const refused = await store.appendToStream(other, batch, expected);
          expect(refused._unsafeUnwrapErr()).toMatchObject({
            type: "DuplicateEventId",
            stream: other,
            eventId: claim.id,
          });
        }
        const fresh = await store.appendToStream(uniqueStream("claim-fresh"), [again], "no_stream");
        expect(fresh._unsafeUnwrapErr()).toMatchObject({ type: "DuplicateEventId", eventId: claim.id });
        expect((await store.headPosition())._unsafeUnwrap()).toBe(head);
        expect((await store.readStream(other))._unsafeUnwrap().events.map((e) => e.type)).toEqual(["TestEvent"]);
        expect((await store.readStream(holder))._unsafeUnwrap().events.map((e) => e.data)).toEqual([claim.data]);
        expect(mine(await collect(store.readAll())).filter((e) => e.type === "Rejected")).toEqual([]);
      },
    );

    it("readAll is complete and in global order under concurrent writers on many streams", async () => {
      const perWriter = 15;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const stream = uniqueStream(`writer${w}`);
          for (let i = 0; i < perWriter; i++) {
            (
              await store.appendToStream(stream, [newEvent("W", { w, i })], i === 0 ? "no_stream" : BigInt(i - 1))
            )._unsafeUnwrap();
          }
        }),
      );
      const all = mine(await collect(store.readAll()));
      expect(all).toHaveLength(writers * perWriter);
      for (let i = 1; i < all.length; i++) expect((all[i]?.position ?? 0n) > (all[i - 1]?.position ?? 0n)).toBe(true);
      const byStream = new Map<string, bigint[]>();
      for (const e of all) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.revision]);
      for (const revisions of byStream.values()) expect(revisions).toEqual(revisions.map((_, i) => BigInt(i)));
    });

    it("readAll pages with after and limit give exactly the full read", async () => {
      const stream = uniqueStream("paging");
      for (let i = 0; i < 23; i++) (await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap();
      const full = mine(await collect(store.readAll()));
      const paged: RecordedEvent[] = [];
      let after = 0n;
      for (;;) {
        const page = await collect(store.readAll({ after, limit: 7 }));
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(7);
        paged.push(...mine(page));
        after = page[page.length - 1]?.position ?? after;
      }
      expect(paged.map((e) => e.id)).toEqual(full.map((e) => e.id));
      const lastPosition = full[full.length - 1]?.position ?? 0n;
      expect(mine(await collect(store.readAll({ after: lastPosition })))).toEqual([]);
    });

    it("subscribe delivers every event once, in order, across the catch-up/live seam", async () => {
      const before = uniqueStream("sub-before");
      for (let i = 0; i < 30; i++) (await store.appendToStream(before, [newEvent()], "any"))._unsafeUnwrap();
      const received: RecordedEvent[] = [];
      subscriptions.push(
        store.subscribe({}, (e) => {
          if (mine([e]).length > 0) received.push(e);
        }),
      );
      await Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          const stream = uniqueStream(`sub-live${w}`);
          for (let i = 0; i < 10; i++) (await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap();
        }),
      );
      await waitUntil(() => received.length >= 60, 10_000, "60 events");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const all = mine(await collect(store.readAll()));
      expect(received.map((e) => e.id)).toEqual(all.map((e) => e.id));
    });

    it("subscribe from a position delivers only what follows it", async () => {
      const stream = uniqueStream("sub-after");
      for (let i = 0; i < 10; i++) (await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap();
      const all = mine(await collect(store.readAll()));
      const middle = all[4]?.position ?? 0n;
      const received: RecordedEvent[] = [];
      subscriptions.push(
        store.subscribe({ after: middle }, (e) => {
          if (mine([e]).length > 0) received.push(e);
        }),
      );
      await waitUntil(() => received.length >= 5, 10_000, "5 events");
      (await store.appendToStream(stream, [newEvent("Late")], "any"))._unsafeUnwrap();
      await waitUntil(() => received.length >= 6, 10_000, "the live event");
      expect(received.map((e) => e.id)).toEqual([...all.slice(5).map((e) => e.id), received[5]?.id]);
      expect(received[5]?.type).toBe("Late");
    });

    it("a subscriber never skips an event while many writers commit concurrently", async () => {
      const received: RecordedEvent[] = [];
      subscriptions.push(
        store.subscribe({}, (e) => {
          if (mine([e]).length > 0) received.push(e);
        }),
      );
      const perWriter = 20;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const stream = uniqueStream(`gap${w}`);
          for (let i = 0; i < perWriter; i++)
            (await store.appendToStream(stream, [newEvent(), newEvent()], "any"))._unsafeUnwrap();
        }),
      );
      const total = writers * perWriter * 2;
      await waitUntil(() => received.length >= total, 20_000, `${total} events`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const all = mine(await collect(store.readAll()));
      expect(all).toHaveLength(total);
      expect(received.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(new Set(received.map((e) => e.id)).size).toBe(total);
    });

    it("a handler that throws stops its subscription and reports the error", async () => {
      const stream = uniqueStream("sub-throw");
      for (let i = 0; i < 3; i++) (await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap();
      const seen: RecordedEvent[] = [];
      let reported: unknown;
      subscriptions.push(
        store.subscribe({ onError: (e) => (reported = e) }, (e) => {
          if (mine([e]).length === 0) return;
          seen.push(e);
          if (seen.length === 2) throw new Error("projection bug");
        }),
      );
      await waitUntil(() => reported !== undefined, 10_000, "the error report");
      (await store.appendToStream(stream, [newEvent()], "any"))._unsafeUnwrap();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toHaveLength(2);
      expect(String(reported)).toContain("projection bug");
    });
  });
};
