import { randomUUID } from "node:crypto";
import { ok } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { NewEvent } from "@starledger/core";
import {
  AppendBatcher,
  maxAppendsPerBatch,
  maxEventsPerBatch,
  maxInFlightAppendBatches,
  type PendingAppend,
} from "../src/append-batcher.js";

const event = (id: string = randomUUID()): NewEvent => ({
  id,
  type: "Batched",
  data: {},
  metadata: { schemaVersion: 1 },
});

/** A writer that holds every batch until released, recording what it was given. */
const heldWriter = () => {
  const batches: (readonly PendingAppend[])[] = [];
  const releases: (() => void)[] = [];
  const write = (batch: readonly PendingAppend[]): Promise<void> => {
    batches.push(batch);
    return new Promise((resolve) => {
      releases.push(() => {
        for (const pending of batch) pending.resolve(ok({ nextRevision: 0n, position: 1n }));
        resolve();
      });
    });
  };
  const releaseAll = async (): Promise<void> => {
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { write, batches, releaseAll };
};

describe("append batcher (group commit)", () => {
  it("sends a lone append at once, on its own", async () => {
    const writer = heldWriter();
    const batcher = new AppendBatcher(writer.write);
    const done = batcher.append({ stream: "a", events: [event()], expectedRevision: "any" });
    expect(writer.batches.map((b) => b.length)).toEqual([1]);
    await writer.releaseAll();
    expect((await done).isOk()).toBe(true);
  });

  it("while the in-flight limit is reached, later appends wait and go together, first come first served", async () => {
    const writer = heldWriter();
    const batcher = new AppendBatcher(writer.write);
    const streams = Array.from({ length: maxInFlightAppendBatches + 5 }, (_, i) => `s${i}`);
    const all = streams.map((stream) => batcher.append({ stream, events: [event()], expectedRevision: "any" }));
    expect(writer.batches).toHaveLength(maxInFlightAppendBatches);
    await writer.releaseAll();
    await Promise.all(all);
    expect(writer.batches.map((b) => b.map((p) => p.stream))).toEqual([
      ...streams.slice(0, maxInFlightAppendBatches).map((s) => [s]),
      streams.slice(maxInFlightAppendBatches),
    ]);
  });

  it("never puts one event id twice in a batch, and keeps order by cutting the batch there", async () => {
    const writer = heldWriter();
    const batcher = new AppendBatcher(writer.write);
    const shared = randomUUID();
    const blockers = Array.from({ length: maxInFlightAppendBatches }, () =>
      batcher.append({ stream: "x", events: [event()], expectedRevision: "any" }),
    );
    const queued = [
      batcher.append({ stream: "a", events: [event(shared)], expectedRevision: "any" }),
      batcher.append({ stream: "b", events: [event()], expectedRevision: "any" }),
      batcher.append({ stream: "c", events: [event(shared)], expectedRevision: "any" }),
      batcher.append({ stream: "d", events: [event()], expectedRevision: "any" }),
    ];
    await writer.releaseAll();
    await Promise.all([...blockers, ...queued]);
    expect(writer.batches.slice(maxInFlightAppendBatches).map((b) => b.map((p) => p.stream))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("caps a batch at maxAppendsPerBatch appends and maxEventsPerBatch events", async () => {
    const writer = heldWriter();
    const batcher = new AppendBatcher(writer.write);
    const blockers = Array.from({ length: maxInFlightAppendBatches }, () =>
      batcher.append({ stream: "x", events: [event()], expectedRevision: "any" }),
    );
    const many = Array.from({ length: maxAppendsPerBatch + 1 }, (_, i) =>
      batcher.append({ stream: `m${i}`, events: [event()], expectedRevision: "any" }),
    );
    const big = Array.from({ length: 3 }, (_, i) =>
      batcher.append({
        stream: `big${i}`,
        events: Array.from({ length: maxEventsPerBatch / 2 }, () => event()),
        expectedRevision: "any",
      }),
    );
    await writer.releaseAll();
    await Promise.all([...blockers, ...many, ...big]);
    for (const batch of writer.batches) {
      expect(batch.length).toBeLessThanOrEqual(maxAppendsPerBatch);
      expect(batch.reduce((sum, p) => sum + p.events.length, 0)).toBeLessThanOrEqual(maxEventsPerBatch);
    }
    expect(writer.batches.flat().map((p) => p.stream)).toEqual([
      "x",
      "x",
      ...Array.from({ length: maxAppendsPerBatch + 1 }, (_, i) => `m${i}`),
      "big0",
      "big1",
      "big2",
    ]);
  });

  it("rejects every append of a batch whose writer throws", async () => {
    const batcher = new AppendBatcher(() => Promise.reject(new Error("bug in the writer")));
    await expect(batcher.append({ stream: "a", events: [event()], expectedRevision: "any" })).rejects.toThrow(
      "bug in the writer",
    );
  });
});
