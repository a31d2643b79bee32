import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteEventStore, type SqliteEventStore } from "../src/index.js";
import { newEvent } from "./new-event.js";
import { tempDatabase } from "./temp-database.js";
import { collect } from "@starledger/core/testing";

describe("readAll", () => {
  let cleanup: () => Promise<void>;
  let store: SqliteEventStore;

  beforeEach(async () => {
    const made = await tempDatabase();
    cleanup = made.cleanup;
    store = openSqliteEventStore({ path: made.path, readPageSizeEvents: 4 });
    const events = Array.from({ length: 10 }, () => newEvent());
    (await store.appendToStream("payment-read", events, "no_stream"))._unsafeUnwrap();
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it("reads across internal pages in order, from an exclusive position, up to a limit", async () => {
    const all = await collect(store.readAll());
    expect(all.map((e) => e.revision)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    const middle = all[2]?.position ?? 0n;
    expect((await collect(store.readAll({ after: middle, limit: 6 }))).map((e) => e.revision)).toEqual([
      3n,
      4n,
      5n,
      6n,
      7n,
      8n,
    ]);
  });

  it("ends cleanly when the last page is exactly full, and after an early break", async () => {
    expect(await collect(store.readAll({ limit: 8 }))).toHaveLength(8);
    const iterator = store.readAll()[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done ? "done" : first.value.revision).toBe(0n);
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("reads nothing until the first next(), so a read made before an append sees it", async () => {
    const read = store.readAll();
    (await store.appendToStream("payment-late", [newEvent()], "no_stream"))._unsafeUnwrap();
    expect((await collect(read)).map((e) => e.stream)).toContain("payment-late");
  });

  it("treats a fractional limit as its whole part and a negative one as zero", async () => {
    expect(await collect(store.readAll({ limit: 5.7 }))).toHaveLength(5);
    expect(await collect(store.readAll({ limit: -3 }))).toEqual([]);
  });

  it("lets an append made during a long read commit before the read ends", async () => {
    let appendedAt: number | undefined;
    let read = 0;
    for await (const _ of store.readAll({ limit: 10 })) {
      if (read++ === 0)
        void store.appendToStream("payment-other", [newEvent()], "no_stream").then(() => (appendedAt = read));
    }
    expect(appendedAt).toBeDefined();
    expect(appendedAt).toBeLessThan(10);
  });
});
