import { randomUUID } from "node:crypto";
import { AccessDeniedError, UnavailableError } from "@eventstore/db-client";
import { StoreUnavailableError, streamPrefixes, type NewEvent, type RecordedEvent } from "@starledger/core";
import { afterEach, describe, expect, it } from "vitest";
import { EventStoreDbEventStore, type EventStoreDbClientPort, type EventStoreDbTuning } from "../src/index.js";
import { FakeEventStoreDbClient } from "./support/fake-eventstoredb-client.js";
import { collect, waitUntil } from "@starledger/core/testing";

const newEvent = (type = "TestEvent"): NewEvent => ({
  id: randomUUID(),
  type,
  data: { nonce: randomUUID() },
  metadata: { schemaVersion: 1, correlationId: randomUUID() },
});

const stores: EventStoreDbEventStore[] = [];
const open = (tuning: EventStoreDbTuning = {}): { fake: FakeEventStoreDbClient; store: EventStoreDbEventStore } => {
  const fake = new FakeEventStoreDbClient();
  const store = new EventStoreDbEventStore(fake.asClient(), { initialRetryDelayMs: 1, maxRetryDelayMs: 5, ...tuning });
  stores.push(store);
  return { fake, store };
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** Other tenants of a shared server: system records and another application's streams. */
const writeNoise = (fake: FakeEventStoreDbClient, count: number): void => {
  for (let i = 0; i < count; i++) {
    fake.writeRaw(
      i % 2 === 0 ? "$stats-127.0.0.1:2113" : `orders-${i}`,
      i % 2 === 0 ? "$statsCollected" : "OrderPlaced",
      { i },
      { schemaVersion: 1 },
    );
  }
};

describe("reads and appends", () => {
  it("reads a missing stream as empty", async () => {
    const { store } = open();
    expect((await store.readStream("payment-nothing-here"))._unsafeUnwrap()).toEqual({
      events: [],
      revision: "no_stream",
    });
  });

  it("answers a failed read with StoreUnavailable", async () => {
    const { fake, store } = open();
    fake.failNext("readStream", new UnavailableError(undefined, "14 UNAVAILABLE: connection refused"));
    const read = await store.readStream("payment-1");
    expect(read._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining("unavailable") as unknown,
    });
  });

  it("answers a failed append with StoreUnavailable, not a concurrency error", async () => {
    const { fake, store } = open();
    fake.failNext("appendToStream", new UnavailableError(undefined, "14 UNAVAILABLE"));
    expect((await store.appendToStream("payment-1", [newEvent()], "no_stream"))._unsafeUnwrapErr().type).toBe(
      "StoreUnavailable",
    );
    expect((await store.readStream("payment-1"))._unsafeUnwrap().events).toEqual([]);
  });

  it("recognises a retry after a lost append reply, and writes the events once", async () => {
    const { fake, store } = open();
    const batch = [newEvent(), newEvent()];
    fake.failAfterWrite = new UnavailableError(undefined, "14 UNAVAILABLE: reply lost");
    expect((await store.appendToStream("payment-1", batch, "no_stream"))._unsafeUnwrapErr().type).toBe(
      "StoreUnavailable",
    );
    const retried = (await store.appendToStream("payment-1", batch, "no_stream"))._unsafeUnwrap();
    const read = (await store.readStream("payment-1"))._unsafeUnwrap();
    expect(read.events.map((e) => e.id)).toEqual(batch.map((e) => e.id));
    expect(retried).toEqual({ nextRevision: 1n, position: read.events[1]?.position, alreadyRecorded: true });
  });

  it("tells exactly one of two writers racing the same batch that it wrote it, though the server says success to both", async () => {
    const { fake, store } = open();
    const batch = [newEvent("PaymentPaid"), newEvent("CreditsGranted")];
    const release = fake.holdAppends();
    const racing = [
      store.appendToStream("payment-race", batch, "no_stream"),
      store.appendToStream("payment-race", batch, "no_stream"),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20)); // both have read the stream and are at the server
    release();
    const [a, b] = (await Promise.all(racing)).map((result) => result._unsafeUnwrap());
    expect(fake.idempotentAppends).toBe(1);
    expect([a?.alreadyRecorded ?? false, b?.alreadyRecorded ?? false].sort()).toEqual([false, true]);
    expect(a?.position).toBe(b?.position);
    expect(a?.nextRevision).toBe(1n);
    expect((await store.readStream("payment-race"))._unsafeUnwrap().events).toHaveLength(2);
  });

  it('lands every one of many concurrent "any" appends, each at its own revision', async () => {
    const { store } = open();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.appendToStream("credits-42", [newEvent()], "any")),
    );
    const revisions = results.map((result) => result._unsafeUnwrap().nextRevision).sort((x, y) => (x < y ? -1 : 1));
    expect(revisions).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
  });

  it("reports the appended event's $all position, as readAll and headPosition see it", async () => {
    const { fake, store } = open();
    writeNoise(fake, 3);
    const appended = (await store.appendToStream("payment-1", [newEvent(), newEvent()], "no_stream"))._unsafeUnwrap();
    const all = await collect(store.readAll());
    expect(appended.position).toBe(all[1]?.position);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(appended.position);
  });

  it("does not hand the append id it writes into metadata back to readers", async () => {
    const { store } = open();
    const event = newEvent();
    (await store.appendToStream("payment-1", [event], "no_stream"))._unsafeUnwrap();
    expect((await store.readStream("payment-1"))._unsafeUnwrap().events[0]?.metadata).toEqual(event.metadata);
    expect((await collect(store.readAll()))[0]?.metadata).toEqual(event.metadata);
  });

  it("refuses to read a ledger event without metadata.schemaVersion", async () => {
    const { fake, store } = open();
    fake.writeRaw("payment-corrupt", "PaymentCreated", { a: 1 }, { correlationId: "c" });
    expect((await store.readStream("payment-corrupt"))._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining("schemaVersion") as unknown,
    });
    await expect(collect(store.readAll())).rejects.toThrow(StoreUnavailableError);
  });
});

describe("reading from a revision, and by id", () => {
  /** The store over a fake whose readStream and readAll requests are counted. */
  const counted = (tuning: EventStoreDbTuning = {}) => {
    const fake = new FakeEventStoreDbClient();
    const requests = { readStream: 0, readAll: 0 };
    const inner = fake.asClient();
    const client: EventStoreDbClientPort = {
      readStream: (...args: Parameters<EventStoreDbClientPort["readStream"]>) => {
        requests.readStream++;
        return inner.readStream(...args);
      },
      readAll: (...args: Parameters<EventStoreDbClientPort["readAll"]>) => {
        requests.readAll++;
        return inner.readAll(...args);
      },
      appendToStream: (...args: Parameters<EventStoreDbClientPort["appendToStream"]>) => inner.appendToStream(...args),
      subscribeToAll: (...args: Parameters<EventStoreDbClientPort["subscribeToAll"]>) => inner.subscribeToAll(...args),
      dispose: () => inner.dispose(),
    };
    const store = new EventStoreDbEventStore(client, { initialRetryDelayMs: 1, maxRetryDelayMs: 5, ...tuning });
    stores.push(store);
    return { fake, store, requests };
  };

  it("reads the events after a known revision in one request that still tells the last revision", async () => {
    const { store, requests } = counted();
    (await store.appendToStream("payment-1", [newEvent(), newEvent(), newEvent()], "no_stream"))._unsafeUnwrap();
    requests.readStream = 0;
    const nothingNew = (await store.readStream("payment-1", { fromRevision: 3n }))._unsafeUnwrap();
    expect(nothingNew).toEqual({ events: [], revision: 2n });
    const lastOne = (await store.readStream("payment-1", { fromRevision: 2n }))._unsafeUnwrap();
    expect(lastOne.events.map((e) => e.revision)).toEqual([2n]);
    expect(requests.readStream).toBe(2);
    // Asked from beyond the end, it reads the last event too: a second request.
    expect((await store.readStream("payment-1", { fromRevision: 7n }))._unsafeUnwrap()).toEqual({
      events: [],
      revision: 2n,
    });
    expect(requests.readStream).toBe(4);
  });

  it("finds an event by id by scanning $all backwards past other tenants' records, across pages", async () => {
    const { fake, store, requests } = counted({ headScanPageSize: 4 });
    const early = newEvent();
    (await store.appendToStream("payment-early", [early], "no_stream"))._unsafeUnwrap();
    writeNoise(fake, 10);
    const recent = newEvent();
    (await store.appendToStream("payment-recent", [recent], "no_stream"))._unsafeUnwrap();
    requests.readAll = 0;
    const found = (await store.readEventById(recent.id.toUpperCase()))._unsafeUnwrap();
    expect(found).toMatchObject({ id: recent.id, stream: "payment-recent", revision: 0n });
    expect(requests.readAll, "the newest event is on the first page").toBe(1);
    expect((await store.readEventById(early.id))._unsafeUnwrap()).toMatchObject({ stream: "payment-early" });
    requests.readAll = 0;
    // Not there: the whole log is read (12 records, pages of 4) before the answer.
    expect((await store.readEventById(randomUUID()))._unsafeUnwrap()).toBeUndefined();
    expect(requests.readAll).toBe(4);
  });
});

describe("readAll and headPosition", () => {
  it("yields only ledger events, in $all order, paging past system records and foreign streams", async () => {
    const { fake, store } = open({ readAllPageSize: 3 });
    const written: string[] = [];
    for (let i = 0; i < 6; i++) {
      writeNoise(fake, 4);
      const event = newEvent();
      written.push(event.id);
      (await store.appendToStream(i % 2 === 0 ? "payment-a" : "credits-7", [event], "any"))._unsafeUnwrap();
    }
    writeNoise(fake, 5);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.id)).toEqual(written);
    for (let i = 1; i < all.length; i++) expect((all[i]?.position ?? 0n) > (all[i - 1]?.position ?? 0n)).toBe(true);
  });

  it("treats after as exclusive and stops at limit", async () => {
    const { fake, store } = open({ readAllPageSize: 2 });
    for (let i = 0; i < 5; i++) {
      writeNoise(fake, 3);
      (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    }
    const all = await collect(store.readAll());
    const third = all[2]?.position ?? 0n;
    expect((await collect(store.readAll({ after: third }))).map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
    expect((await collect(store.readAll({ after: third, limit: 1 }))).map((e) => e.id)).toEqual([all[3]?.id]);
    expect(await collect(store.readAll({ after: all[4]?.position ?? 0n }))).toEqual([]);
    expect(await collect(store.readAll({ limit: 0 }))).toEqual([]);
  });

  it("throws StoreUnavailableError when the server fails mid-read", async () => {
    const { fake, store } = open();
    (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    fake.failNext("readAll", new UnavailableError(undefined, "14 UNAVAILABLE"));
    await expect(collect(store.readAll())).rejects.toThrow(StoreUnavailableError);
  });

  it("finds the last ledger event behind trailing foreign records, across backward pages", async () => {
    const { fake, store } = open({ headScanPageSize: 2 });
    expect((await store.headPosition())._unsafeUnwrap()).toBe(0n);
    writeNoise(fake, 3);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(0n);
    const appended = (await store.appendToStream("unmatched-charge-ch_1", [newEvent()], "no_stream"))._unsafeUnwrap();
    writeNoise(fake, 7);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(appended.position);
  });

  it("answers a failed head read with StoreUnavailable", async () => {
    const { fake, store } = open();
    fake.failNext("readAll", new UnavailableError(undefined, "14 UNAVAILABLE"));
    expect((await store.headPosition())._unsafeUnwrapErr().type).toBe("StoreUnavailable");
  });
});

describe("subscribe", () => {
  it("asks the server for the ledger's stream prefixes only", async () => {
    const { fake, store } = open();
    const subscription = store.subscribe({}, () => undefined);
    await subscription.close();
    expect(fake.subscribeCalls[0]?.filter).toMatchObject({ filterOn: "streamName", prefixes: [...streamPrefixes] });
  });

  it("resubscribes after a dropped connection from the last delivered event: no duplicate, no gap", async () => {
    const transient: unknown[] = [];
    const { fake, store } = open({ onTransientError: (error) => transient.push(error) });
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({}, (event) => void received.push(event));
    for (let i = 0; i < 5; i++) (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    await waitUntil(() => received.length >= 5, 5_000, "5 events");
    fake.dropSubscriptions(new UnavailableError(undefined, "14 UNAVAILABLE: connection reset"));
    for (let i = 0; i < 5; i++) (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    await waitUntil(() => received.length >= 10, 5_000, "10 events");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.map((e) => e.id)).toEqual((await collect(store.readAll())).map((e) => e.id));
    expect(transient).toHaveLength(1);
    expect(fake.subscribeCalls[1]?.fromPosition).toEqual({
      commit: received[4]?.position,
      prepare: received[4]?.position,
    });
    await subscription.close();
  });

  it("stops and reports a permanent refusal from the server", async () => {
    const { fake, store } = open();
    fake.failNext("subscribeToAll", new AccessDeniedError(undefined, "7 PERMISSION_DENIED"));
    let reported: unknown;
    store.subscribe({ onError: (error) => (reported = error) }, () => undefined);
    await waitUntil(() => reported !== undefined, 5_000, "the error report");
    expect(reported).toBeInstanceOf(AccessDeniedError);
    expect(fake.subscribeCalls).toHaveLength(1);
  });

  it("stops on a ledger event it cannot read, reporting it", async () => {
    const { fake, store } = open();
    let reported: unknown;
    store.subscribe({ onError: (error) => (reported = error) }, () => undefined);
    fake.writeRaw("payment-corrupt", "PaymentCreated", { a: 1 }, { correlationId: "c" });
    await waitUntil(() => reported !== undefined, 5_000, "the error report");
    expect(reported).toBeInstanceOf(StoreUnavailableError);
    expect(String(reported)).toContain("schemaVersion");
  });

  it("awaits each handler call before delivering the next event", async () => {
    const { store } = open();
    for (let i = 0; i < 5; i++) (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    let inFlight = 0;
    let maxInFlight = 0;
    const received: bigint[] = [];
    const subscription = store.subscribe({}, async (event) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 3));
      received.push(event.position);
      inFlight--;
    });
    await waitUntil(() => received.length >= 5, 5_000, "5 events");
    await subscription.close();
    expect(maxInFlight).toBe(1);
    expect([...received].sort((x, y) => (x < y ? -1 : 1))).toEqual(received);
  });

  it("close() waits for the handler in flight, ends the server subscription and delivers nothing after", async () => {
    const { fake, store } = open();
    (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    let finished = false;
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({}, async (event) => {
      received.push(event);
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
    });
    await waitUntil(() => received.length === 1, 5_000, "the first event");
    await subscription.close();
    expect(finished).toBe(true);
    expect(fake.liveSubscriptions()).toBe(0);
    (await store.appendToStream("payment-a", [newEvent()], "any"))._unsafeUnwrap();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toHaveLength(1);
  });

  it("store.close() closes its subscriptions and disposes the client", async () => {
    const { fake, store } = open();
    store.subscribe({}, () => undefined);
    await waitUntil(() => fake.liveSubscriptions() === 1, 5_000, "the subscription");
    await store.close();
    expect(fake.liveSubscriptions()).toBe(0);
    expect(fake.disposed).toBe(true);
  });
});
