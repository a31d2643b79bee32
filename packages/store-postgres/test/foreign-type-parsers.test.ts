import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewEvent, RecordedEvent } from "@starledger/core";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";

const suite = skipReason === undefined ? describe : describe.skip;

const { INT8: int8Oid, JSON: jsonOid, TIMESTAMPTZ: timestamptzOid } = pg.types.builtins;

const newEvent = (): NewEvent => ({ id: randomUUID(), type: "Parsed", data: { n: 1 }, metadata: { schemaVersion: 1 } });

suite(
  `a store sharing its process with a library that rewires pg's global type parsers${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    let opened: OpenedStore;
    const previous = [int8Oid, jsonOid, timestamptzOid].map((oid) => [oid, pg.types.getTypeParser(oid)] as const);

    beforeAll(async () => {
      // What Emmett's dumbo does, and worse: the store must not depend on the process-wide registry.
      pg.types.setTypeParser(int8Oid, (text: string) => Number(text));
      pg.types.setTypeParser(jsonOid, (text: string) => ({ raw: text }));
      pg.types.setTypeParser(timestamptzOid, (text: string) => text);
      opened = await openTestStore();
    });
    afterAll(async () => {
      for (const [oid, parser] of previous) pg.types.setTypeParser(oid, parser as (text: string) => unknown);
      await opened.cleanup();
    });

    it("still appends, replays and reads events with bigint positions, parsed JSON and Dates", async () => {
      const { store } = opened;
      const stream = `payment-${randomUUID()}`;
      const batch = [newEvent(), newEvent()];
      const appended = (await store.appendToStream(stream, batch, "no_stream"))._unsafeUnwrap();
      expect(appended).toEqual({ nextRevision: 1n, position: 2n });
      expect((await store.appendToStream(stream, batch, "no_stream"))._unsafeUnwrap()).toEqual({
        ...appended,
        alreadyRecorded: true,
      });
      const read = (await store.readStream(stream))._unsafeUnwrap();
      expect(read.events.map((e) => [e.data, e.revision, e.position, e.recordedAt instanceof Date])).toEqual([
        [{ n: 1 }, 0n, 1n, true],
        [{ n: 1 }, 1n, 2n, true],
      ]);
      const all: RecordedEvent[] = [];
      for await (const e of store.readAll()) all.push(e);
      expect(all.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      expect((await store.headPosition())._unsafeUnwrap()).toBe(2n);
    });
  },
);
