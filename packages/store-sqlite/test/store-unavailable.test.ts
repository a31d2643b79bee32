import Database from "better-sqlite3";
import { StoreUnavailableError, type RecordedEvent } from "@starledger/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteEventStore, type SqliteEventStore } from "../src/index.js";
import { newEvent } from "./new-event.js";
import { tempDatabase } from "./temp-database.js";
import { collect, waitUntil } from "@starledger/core/testing";

describe("when SQLite cannot answer", () => {
  let path: string;
  let cleanup: () => Promise<void>;
  let store: SqliteEventStore;
  let other: Database.Database | undefined;

  beforeEach(async () => {
    ({ path, cleanup } = await tempDatabase());
    store = openSqliteEventStore({ path, busyTimeoutMs: 10 });
  });
  afterEach(async () => {
    other?.close();
    other = undefined;
    await store.close();
    await cleanup();
  });

  it("an append while another connection holds the write lock answers StoreUnavailable, and the retry commits", async () => {
    (await store.appendToStream("payment-lock", [newEvent()], "no_stream"))._unsafeUnwrap();
    other = new Database(path);
    other.exec("BEGIN EXCLUSIVE");
    const events = [newEvent(), newEvent()];
    const blocked = await store.appendToStream("payment-lock", events, 0n);
    expect(blocked._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining("SQLITE_BUSY") as unknown,
    });
    expect((await store.readStream("payment-lock"))._unsafeUnwrap().events).toHaveLength(1);
    other.exec("ROLLBACK");
    expect((await store.appendToStream("payment-lock", events, 0n))._unsafeUnwrap().nextRevision).toBe(2n);
    expect(store.stats()).toMatchObject({ appendsUnavailable: 1 });
  });

  it("every operation answers StoreUnavailable, never throws, when another process broke the file's schema", async () => {
    (await store.appendToStream("payment-gone", [newEvent()], "no_stream"))._unsafeUnwrap();
    other = new Database(path);
    other.exec("DROP TABLE events");
    expect((await store.readStream("payment-gone"))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect((await store.headPosition())._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
    const appended = await store.appendToStream("payment-gone", [newEvent()], 0n);
    expect(appended._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining("no such table") as unknown,
    });
  });

  it("a corrupt row read back answers StoreUnavailable naming its position", async () => {
    const appended = (await store.appendToStream("payment-bad", [newEvent()], "no_stream"))._unsafeUnwrap();
    other = new Database(path);
    other.prepare("UPDATE events SET data = 'not json' WHERE position = ?").run(appended.position);
    const read = await store.readStream("payment-bad");
    expect(read._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining(`position ${appended.position}`) as unknown,
    });
    await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("a closed store answers StoreUnavailable and closing again is harmless", async () => {
    await store.close();
    await store.close();
    expect((await store.appendToStream("payment-closed", [newEvent()], "no_stream"))._unsafeUnwrapErr().type).toBe(
      "StoreUnavailable",
    );
    expect((await store.readStream("payment-closed"))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect((await store.headPosition())._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
    let reported: unknown;
    const subscription = store.subscribe({ onError: (error) => (reported = error) }, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reported).toBeInstanceOf(StoreUnavailableError);
    await subscription.close();
  });

  it("close stops live subscriptions: later appends by another handle are not delivered", async () => {
    const received: RecordedEvent[] = [];
    store.subscribe({}, (event) => void received.push(event));
    (await store.appendToStream("payment-sub", [newEvent()], "no_stream"))._unsafeUnwrap();
    await waitUntil(() => received.length > 0, 5_000, "the first event");
    await store.close();
    const later = openSqliteEventStore({ path });
    (await later.appendToStream("payment-sub", [newEvent()], 0n))._unsafeUnwrap();
    await later.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(1);
  });
});
