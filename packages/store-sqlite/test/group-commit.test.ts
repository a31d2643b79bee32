import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from "../src/index.js";
import { newEvent } from "./new-event.js";
import { tempDatabase } from "./temp-database.js";

describe("group commit", () => {
  let path: string;
  let cleanup: () => Promise<void>;
  let store: SqliteEventStore;
  const open = (options: Omit<SqliteEventStoreOptions, "path"> = {}): SqliteEventStore => {
    store = openSqliteEventStore({ path, ...options });
    return store;
  };

  beforeEach(async () => {
    ({ path, cleanup } = await tempDatabase());
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it("64 concurrent appends to different streams commit in fewer transactions than appends", async () => {
    open();
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => store.appendToStream(`payment-${i}`, [newEvent()], "no_stream")),
    );
    expect(results.every((r) => r.isOk())).toBe(true);
    const stats = store.stats();
    expect(stats.appendsCommitted).toBe(64);
    expect(stats.transactions).toBeLessThan(64);
    expect(stats.largestBatch).toBeGreaterThan(1);
    const positions = results.map((r) => r._unsafeUnwrap().position);
    expect(new Set(positions).size).toBe(64);
  });

  it("a conflicting append inside a batch fails alone while its batch-mates commit", async () => {
    open();
    const first = newEvent("First");
    const [winner, loser, other, duplicate] = await Promise.all([
      store.appendToStream("payment-a", [first], "no_stream"),
      store.appendToStream("payment-a", [newEvent("Loser"), newEvent("Loser")], "no_stream"),
      store.appendToStream("payment-b", [newEvent("Other")], "no_stream"),
      store.appendToStream("payment-c", [newEvent(), first], "no_stream"),
    ]);
    expect(store.stats().transactions).toBe(1);
    expect(winner._unsafeUnwrap().nextRevision).toBe(0n);
    expect(loser._unsafeUnwrapErr()).toEqual({
      type: "ConcurrencyError",
      stream: "payment-a",
      expected: "no_stream",
      actual: 0n,
    });
    expect(other._unsafeUnwrap().nextRevision).toBe(0n);
    expect(duplicate._unsafeUnwrapErr()).toEqual({ type: "DuplicateEventId", stream: "payment-c", eventId: first.id });
    expect((await store.readStream("payment-a"))._unsafeUnwrap().events.map((e) => e.type)).toEqual(["First"]);
    expect((await store.readStream("payment-c"))._unsafeUnwrap().revision).toBe("no_stream");
    expect((await store.headPosition())._unsafeUnwrap()).toBe(2n);
  });

  it("each append in a batch checks its expected revision against the batch's earlier appends", async () => {
    open();
    const results = await Promise.all([
      store.appendToStream("payment-chain", [newEvent()], "no_stream"),
      store.appendToStream("payment-chain", [newEvent()], 0n),
      store.appendToStream("payment-chain", [newEvent(), newEvent()], 1n),
      store.appendToStream("payment-chain", [newEvent()], 1n),
    ]);
    expect(store.stats().transactions).toBe(1);
    expect(results.slice(0, 3).map((r) => r._unsafeUnwrap().nextRevision)).toEqual([0n, 1n, 3n]);
    expect(results[3]._unsafeUnwrapErr()).toMatchObject({ type: "ConcurrencyError", actual: 3n });
  });

  it("the same append retried within one batch is written once and answered twice alike", async () => {
    open();
    const events = [newEvent(), newEvent()];
    const [first, retry] = await Promise.all([
      store.appendToStream("payment-retry", events, "no_stream"),
      store.appendToStream("payment-retry", events, "no_stream"),
    ]);
    expect(retry._unsafeUnwrap()).toEqual({ ...first._unsafeUnwrap(), alreadyRecorded: true });
    expect((await store.readStream("payment-retry"))._unsafeUnwrap().events).toHaveLength(2);
  });

  it("an append repeating an event id within itself is rejected and writes nothing", async () => {
    open();
    const event = newEvent();
    const result = await store.appendToStream("payment-twice", [event, event], "no_stream");
    expect(result._unsafeUnwrapErr()).toEqual({ type: "DuplicateEventId", stream: "payment-twice", eventId: event.id });
    expect((await store.headPosition())._unsafeUnwrap()).toBe(0n);
  });

  it("an event that cannot be serialised rejects its own append and queues nothing", async () => {
    open();
    const bad = { ...newEvent(), data: { starsAmount: 100n } };
    await expect(store.appendToStream("payment-bad", [bad], "no_stream")).rejects.toBeInstanceOf(TypeError);
    (await store.appendToStream("payment-good", [newEvent()], "no_stream"))._unsafeUnwrap();
    expect((await store.headPosition())._unsafeUnwrap()).toBe(1n);
  });

  it("a batch never carries more than maxAppendsPerTransaction appends", async () => {
    open({ maxAppendsPerTransaction: 8 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.appendToStream(`payment-${i}`, [newEvent()], "no_stream")),
    );
    expect(results.every((r) => r.isOk())).toBe(true);
    expect(store.stats().largestBatch).toBe(8);
    expect(store.stats().transactions).toBe(7);
  });

  it("appends beyond maxQueuedAppends answer StoreUnavailable at once and write nothing", async () => {
    open({ maxQueuedAppends: 4 });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.appendToStream(`payment-${i}`, [newEvent()], "no_stream")),
    );
    expect(results.filter((r) => r.isOk())).toHaveLength(4);
    expect(results.slice(4).map((r) => r._unsafeUnwrapErr().type)).toEqual(["StoreUnavailable", "StoreUnavailable"]);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(4n);
  });

  it("an append that breaks an unforeseen constraint fails alone, final, and its batch is redone without it", async () => {
    open();
    (await store.appendToStream("payment-setup", [newEvent()], "no_stream"))._unsafeUnwrap();
    const other = new Database(path);
    other.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison'
      BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`);
    other.close();
    const [before, poisoned, after] = await Promise.all([
      store.appendToStream("payment-x", [newEvent("Fine")], "no_stream"),
      store.appendToStream("payment-y", [newEvent("Fine"), newEvent("Poison")], "no_stream"),
      store.appendToStream("payment-z", [newEvent("Fine")], "no_stream"),
    ]);
    expect(before.isOk()).toBe(true);
    expect(after.isOk()).toBe(true);
    // The same append would be refused again: a final data error, not an outage to retry.
    expect(poisoned._unsafeUnwrapErr()).toMatchObject({
      type: "InvalidEventData",
      stream: "payment-y",
      message: expect.stringContaining("SQLITE_CONSTRAINT_TRIGGER") as unknown,
    });
    expect((await store.readStream("payment-y"))._unsafeUnwrap().revision).toBe("no_stream");
    expect(store.stats()).toMatchObject({
      transactions: 2,
      appendsCommitted: 3,
      appendsRejected: 1,
      appendsUnavailable: 0,
    });
  });

  it("appends still queued when close is called are committed before the file closes", async () => {
    open();
    const pending = Array.from({ length: 10 }, (_, i) =>
      store.appendToStream(`payment-${i}`, [newEvent()], "no_stream"),
    );
    await store.close();
    expect((await Promise.all(pending)).every((r) => r.isOk())).toBe(true);
    store = open();
    expect((await store.headPosition())._unsafeUnwrap()).toBe(10n);
  });
});
