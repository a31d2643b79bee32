import { NO_STREAM } from "@eventstore/db-client";
import type { NewEvent, RecordedEvent, StreamRead } from "@starledger/core";
import { describe, expect, it } from "vitest";
import { planAppend } from "../src/append-plan.js";

const stream = "payment-p1";
let counter = 0;
const newEvent = (): NewEvent => {
  counter++;
  return {
    id: `abcdef00-0000-4000-8000-${String(counter).padStart(12, "0")}`,
    type: "T",
    data: {},
    metadata: { schemaVersion: 1 },
  };
};
const recordedAs = (events: readonly NewEvent[]): StreamRead => {
  const recorded: RecordedEvent[] = events.map((event, i) => ({
    ...event,
    stream,
    revision: BigInt(i),
    position: 1_000n + BigInt(i) * 150n,
    recordedAt: new Date(0),
  }));
  const last = recorded[recorded.length - 1];
  return { events: recorded, revision: last === undefined ? "no_stream" : last.revision };
};
const empty: StreamRead = { events: [], revision: "no_stream" };

describe("planAppend", () => {
  it("writes new events at the exact revision read: NO_STREAM for a missing stream", () => {
    expect(planAppend(stream, [newEvent()], "no_stream", empty)).toEqual({
      kind: "write",
      expectedRevision: NO_STREAM,
    });
  });

  it("writes an expected revision that matches as that revision", () => {
    const existing = [newEvent(), newEvent()];
    expect(planAppend(stream, [newEvent()], 1n, recordedAs(existing))).toEqual({ kind: "write", expectedRevision: 1n });
  });

  it('turns "any" into the revision just read, so a writer slipping in between is caught', () => {
    const existing = [newEvent(), newEvent(), newEvent()];
    expect(planAppend(stream, [newEvent()], "any", recordedAs(existing))).toEqual({
      kind: "write",
      expectedRevision: 2n,
    });
    expect(planAppend(stream, [newEvent()], "any", empty)).toEqual({ kind: "write", expectedRevision: NO_STREAM });
  });

  it("answers a wrong expected revision with the actual one, without writing", () => {
    const existing = [newEvent()];
    const plan = planAppend(stream, [newEvent()], "no_stream", recordedAs(existing));
    expect(plan.kind === "answer" ? plan.result._unsafeUnwrapErr() : undefined).toEqual({
      type: "ConcurrencyError",
      stream,
      expected: "no_stream",
      actual: 0n,
    });
    const missing = planAppend(stream, [newEvent()], 0n, empty);
    expect(missing.kind === "answer" ? missing.result._unsafeUnwrapErr() : undefined).toMatchObject({
      type: "ConcurrencyError",
      actual: "no_stream",
    });
  });

  it("answers ids already at the tail with the original result, marked alreadyRecorded, whatever the expected revision", () => {
    const batch = [newEvent(), newEvent()];
    const read = recordedAs([newEvent(), ...batch, newEvent()]);
    for (const expected of ["no_stream", "any", 0n, 9n] as const) {
      const plan = planAppend(stream, batch, expected, read);
      expect(plan.kind === "answer" ? plan.result._unsafeUnwrap() : undefined).toEqual({
        nextRevision: 2n,
        position: 1_300n,
        alreadyRecorded: true,
      });
    }
  });

  it("recognises ids whatever their case (the server returns UUIDs in lower case)", () => {
    const batch = [newEvent()];
    const upper = batch.map((event) => ({ ...event, id: event.id.toUpperCase() }));
    expect(upper[0]?.id).not.toBe(batch[0]?.id);
    const plan = planAppend(stream, upper, "any", recordedAs(batch));
    expect(plan.kind === "answer" ? plan.result._unsafeUnwrap().alreadyRecorded : undefined).toBe(true);
  });

  it("answers a batch that repeats only some existing ids with DuplicateEventId", () => {
    const existing = [newEvent(), newEvent()];
    const fresh = newEvent();
    const plan = planAppend(stream, [existing[0] ?? newEvent(), fresh], 1n, recordedAs(existing));
    expect(plan.kind === "answer" ? plan.result._unsafeUnwrapErr() : undefined).toEqual({
      type: "DuplicateEventId",
      stream,
      eventId: existing[0]?.id,
    });
  });

  it("answers existing ids out of order with DuplicateEventId", () => {
    const existing = [newEvent(), newEvent()];
    const plan = planAppend(stream, [...existing].reverse(), "any", recordedAs(existing));
    expect(plan.kind === "answer" ? plan.result._unsafeUnwrapErr().type : undefined).toBe("DuplicateEventId");
  });

  it("answers an empty append with the stream's revision, after checking the expected one", () => {
    const existing = [newEvent(), newEvent()];
    const plan = planAppend(stream, [], 1n, recordedAs(existing));
    expect(plan.kind === "answer" ? plan.result._unsafeUnwrap() : undefined).toEqual({
      nextRevision: 1n,
      position: 1_150n,
    });
    const none = planAppend(stream, [], "any", empty);
    expect(none.kind === "answer" ? none.result._unsafeUnwrap() : undefined).toEqual({
      nextRevision: -1n,
      position: 0n,
    });
  });
});
