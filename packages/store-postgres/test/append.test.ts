import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { NewEvent } from "@starledger/core";
import { withAdminClient } from "../src/testing/index.js";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";

const suite = skipReason === undefined ? describe : describe.skip;

const newEvent = (data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type: "Appended",
  data,
  metadata: { schemaVersion: 1 },
});

const concurrentCalls = 12;

suite(`appendToStream on PostgreSQL${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`, () => {
  let opened: OpenedStore | undefined;
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  const store = async () => {
    opened ??= await openTestStore();
    return opened.store;
  };

  it("many connections creating one stream with no_stream: one winner, the rest ConcurrencyError", async () => {
    const s = await store();
    const stream = `payment-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: concurrentCalls }, () => s.appendToStream(stream, [newEvent()], "no_stream")),
    );
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    for (const loser of results.filter((r) => r.isErr())) {
      expect(loser._unsafeUnwrapErr()).toMatchObject({ type: "ConcurrencyError", stream, expected: "no_stream" });
    }
  });

  it("many connections appending with any to a new stream all succeed, with revisions 0..n-1", async () => {
    const s = await store();
    const stream = `payment-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: concurrentCalls }, () => s.appendToStream(stream, [newEvent()], "any")),
    );
    expect(results.map((r) => r._unsafeUnwrap().nextRevision).sort((a, b) => Number(a - b))).toEqual(
      Array.from({ length: concurrentCalls }, (_, i) => BigInt(i)),
    );
  });

  it("the same batch retried concurrently from many connections is written once: one caller writes, the rest get the original result marked alreadyRecorded", async () => {
    const s = await store();
    const stream = `payment-${randomUUID()}`;
    const batch = [newEvent({ n: 1 }), newEvent({ n: 2 })];
    const results = await Promise.all(
      Array.from({ length: concurrentCalls }, () => s.appendToStream(stream, batch, "no_stream")),
    );
    const written = results.filter((r) => r._unsafeUnwrap().alreadyRecorded !== true);
    expect(written).toHaveLength(1);
    const original = written[0]?._unsafeUnwrap();
    for (const result of results) {
      expect(result._unsafeUnwrap()).toMatchObject({
        nextRevision: original?.nextRevision,
        position: original?.position,
      });
    }
    expect((await s.readStream(stream))._unsafeUnwrap().events.map((e) => e.id)).toEqual(batch.map((e) => e.id));
  });

  it("concurrent appends share transactions (group commit) and each still gets its own answer", async () => {
    const s = await store();
    const shared = `payment-${randomUUID()}`;
    (await s.appendToStream(shared, [newEvent()], "no_stream"))._unsafeUnwrap();
    const replayed = [newEvent(), newEvent()];
    const replayStream = `payment-${randomUUID()}`;
    const original = (await s.appendToStream(replayStream, replayed, "no_stream"))._unsafeUnwrap();

    const fresh = Array.from({ length: 30 }, () =>
      s.appendToStream(`payment-${randomUUID()}`, [newEvent(), newEvent()], "no_stream"),
    );
    const racing = Array.from({ length: 10 }, () => s.appendToStream(shared, [newEvent()], 0n));
    const anyOnShared = Array.from({ length: 5 }, () => s.appendToStream(shared, [newEvent()], "any"));
    const replay = s.appendToStream(replayStream, replayed, "no_stream");
    const results = await Promise.all([...fresh, ...racing, ...anyOnShared, replay]);

    for (const r of results.slice(0, 30)) expect(r._unsafeUnwrap().nextRevision).toBe(1n);
    const raced = results.slice(30, 40);
    expect(raced.filter((r) => r.isOk())).toHaveLength(1);
    for (const loser of raced.filter((r) => r.isErr())) expect(loser._unsafeUnwrapErr().type).toBe("ConcurrencyError");
    for (const r of results.slice(40, 45)) expect(r.isOk()).toBe(true);
    expect(results[45]?._unsafeUnwrap()).toEqual({ ...original, alreadyRecorded: true });
    expect((await s.readStream(shared))._unsafeUnwrap().events.map((e) => e.revision)).toEqual([
      0n,
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
    ]);

    const transactions = await withAdminClient(async (client) => {
      const counted = await client.query<{ appends: string; transactions: string }>(
        `SELECT count(DISTINCT (stream, recorded_at)) AS appends, count(DISTINCT recorded_at) AS transactions FROM "${opened?.schema ?? ""}".events`,
      );
      return counted.rows[0];
    });
    expect(Number(transactions?.transactions)).toBeLessThan(Number(transactions?.appends));
  });

  it("an id already used on another stream is a DuplicateEventId and writes nothing", async () => {
    const s = await store();
    const used = newEvent();
    (await s.appendToStream(`payment-${randomUUID()}`, [used], "no_stream"))._unsafeUnwrap();
    const other = `payment-${randomUUID()}`;
    expect((await s.appendToStream(other, [used], "no_stream"))._unsafeUnwrapErr()).toEqual({
      type: "DuplicateEventId",
      stream: other,
      eventId: used.id,
    });
    expect((await s.readStream(other))._unsafeUnwrap().revision).toBe("no_stream");
  });

  it("the same id twice in one batch is a DuplicateEventId", async () => {
    const s = await store();
    const twice = newEvent();
    const stream = `payment-${randomUUID()}`;
    expect((await s.appendToStream(stream, [twice, twice], "no_stream"))._unsafeUnwrapErr()).toMatchObject({
      type: "DuplicateEventId",
      eventId: twice.id,
    });
  });

  it("an empty append checks the expected revision and writes nothing", async () => {
    const s = await store();
    const stream = `payment-${randomUUID()}`;
    (await s.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();
    const head = (await s.headPosition())._unsafeUnwrap();
    expect((await s.appendToStream(stream, [], 0n))._unsafeUnwrap()).toEqual({ nextRevision: 0n, position: head });
    expect((await s.appendToStream(stream, [], 3n))._unsafeUnwrapErr()).toMatchObject({
      type: "ConcurrencyError",
      actual: 0n,
    });
    expect((await s.headPosition())._unsafeUnwrap()).toBe(head);
  });

  it("stores data and metadata as JSON text, so what comes back is what went in", async () => {
    const s = await store();
    const stream = `payment-${randomUUID()}`;
    const event: NewEvent = {
      id: randomUUID(),
      type: "Exact",
      data: { big: Number.MAX_SAFE_INTEGER, nested: { z: 1, a: [true, null, "x\ty"] }, emoji: "⭐" },
      metadata: { schemaVersion: 2, correlationId: "c", prevHash: "", hash: "h" },
    };
    (await s.appendToStream(stream, [event], "no_stream"))._unsafeUnwrap();
    const [read] = (await s.readStream(stream))._unsafeUnwrap().events;
    expect(read?.data).toEqual(JSON.parse(JSON.stringify(event.data)));
    expect(Object.keys(read?.data.nested as object)).toEqual(["z", "a"]);
    expect(read?.metadata).toEqual(event.metadata);
  });
});
