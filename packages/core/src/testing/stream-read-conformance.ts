import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { EventStore, NewEvent } from "../event-store.js";

export type ReadCaseContext = {
  /** The store under test (made anew before each case). */
  readonly store: () => EventStore;
  /** A stream name no other case uses. */
  readonly stream: (label: string) => string;
  readonly event: (type?: string, data?: Record<string, unknown>) => NewEvent;
};

/**
 * The conformance cases of reading part of a stream and reading an event by id (what a command handler with cached
 * state needs); registered inside eventStoreConformance's suite.
 */
export const streamReadCases = ({ store, stream: uniqueStream, event: newEvent }: ReadCaseContext): void => {
  it("reads a stream from a revision: only the events at or after it, and still the stream's last revision", async () => {
    const stream = uniqueStream("from");
    const events = Array.from({ length: 5 }, (_, n) => newEvent("Numbered", { n }));
    (await store().appendToStream(stream, events.slice(0, 3), "no_stream"))._unsafeUnwrap();
    (await store().appendToStream(stream, events.slice(3), 2n))._unsafeUnwrap();
    const full = (await store().readStream(stream))._unsafeUnwrap();
    for (const from of [0n, 1n, 3n, 4n]) {
      const read = (await store().readStream(stream, { fromRevision: from }))._unsafeUnwrap();
      expect(read.revision, `from ${String(from)}`).toBe(4n);
      expect(read.events, `from ${String(from)}`).toEqual(full.events.slice(Number(from)));
    }
    for (const beyond of [5n, 9n]) {
      expect((await store().readStream(stream, { fromRevision: beyond }))._unsafeUnwrap()).toEqual({
        events: [],
        revision: 4n,
      });
    }
    expect((await store().readStream(uniqueStream("from-missing"), { fromRevision: 3n }))._unsafeUnwrap()).toEqual({
      events: [],
      revision: "no_stream",
    });
    // What a reader that knows revision 2 sees after another writer appends: just the new event.
    (await store().appendToStream(stream, [newEvent("Later")], 4n))._unsafeUnwrap();
    const delta = (await store().readStream(stream, { fromRevision: 5n }))._unsafeUnwrap();
    expect(delta.events.map((e) => [e.type, e.revision])).toEqual([["Later", 5n]]);
    expect(delta.revision).toBe(5n);
  });

  it("reads an event by its id, on whichever stream holds it; an unknown id is undefined", async () => {
    const first = uniqueStream("by-id-a");
    const second = uniqueStream("by-id-b");
    (await store().appendToStream(first, [newEvent("A0"), newEvent("A1")], "no_stream"))._unsafeUnwrap();
    (await store().appendToStream(second, [newEvent("B0")], "no_stream"))._unsafeUnwrap();
    const recorded = [
      ...(await store().readStream(first))._unsafeUnwrap().events,
      ...(await store().readStream(second))._unsafeUnwrap().events,
    ];
    for (const event of recorded) {
      const found = (await store().readEventById(event.id))._unsafeUnwrap();
      expect(found, event.type).toEqual(event);
    }
    expect((await store().readEventById(randomUUID()))._unsafeUnwrap()).toBeUndefined();
    // Text no store can hold was never stored: not found, not a store failure.
    for (const unstorable of [`${recorded[0]?.id ?? ""}\ud800`, `${recorded[0]?.id ?? ""}\u0000`]) {
      expect((await store().readEventById(unstorable))._unsafeUnwrap()).toBeUndefined();
    }
    // An append refused for its expected revision wrote nothing, so its ids are nowhere.
    const refused = newEvent("Refused");
    expect((await store().appendToStream(first, [refused], 0n))._unsafeUnwrapErr().type).toBe("ConcurrencyError");
    expect((await store().readEventById(refused.id))._unsafeUnwrap()).toBeUndefined();
  });
};
