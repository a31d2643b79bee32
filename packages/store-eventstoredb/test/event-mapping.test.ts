import {
  START,
  type AllStreamJSONRecordedEvent,
  type AllStreamResolvedEvent,
  type ResolvedEvent,
} from "@eventstore/db-client";
import type { NewEvent } from "@starledger/core";
import { describe, expect, it } from "vitest";
import {
  appendIdKey,
  appendIdOf,
  comparePositions,
  isLedgerEvent,
  parseRecordedEvent,
  rawPosition,
  toEventData,
  toReadPosition,
} from "../src/event-mapping.js";

const created = new Date("2025-03-01T12:00:00.123Z");

const recorded = (overrides: Partial<AllStreamJSONRecordedEvent> = {}): AllStreamJSONRecordedEvent => ({
  streamId: "payment-5b0c",
  id: "0b7ad2a4-3f0e-4b0a-9a43-8f0f3f1d2c11",
  isJson: true,
  revision: 3n,
  type: "PaymentPaid",
  created,
  data: { paymentId: "5b0c", credits: 100 },
  metadata: { schemaVersion: 1, correlationId: "c-1" },
  position: { commit: 4_096n, prepare: 4_096n },
  ...overrides,
});

/** What readAll / subscribeToAll yield: the event and its commit position. */
const fromAll = (event: AllStreamJSONRecordedEvent): AllStreamResolvedEvent => ({
  event,
  commitPosition: event.position.commit,
});

const newEvent: NewEvent = {
  id: "8e1f5a7c-0d1e-4c6b-9f0a-2b3c4d5e6f70",
  type: "PaymentCreated",
  data: { paymentId: "p1", starsAmount: 50, nested: { list: [1, "two", null] } },
  metadata: { schemaVersion: 2, correlationId: "corr", causationId: "cause", prevHash: "", hash: "h1" },
};

describe("NewEvent -> EventData", () => {
  it("is a JSON event with the same id, type, data and metadata", () => {
    expect(toEventData(newEvent)).toEqual({
      id: newEvent.id,
      contentType: "application/json",
      type: "PaymentCreated",
      data: newEvent.data,
      metadata: newEvent.metadata,
    });
  });

  it("carries the append attempt's id in the metadata when asked, without touching the caller's object", () => {
    const data = toEventData(newEvent, "attempt-1");
    expect(data.metadata).toEqual({ ...newEvent.metadata, [appendIdKey]: "attempt-1" });
    expect(newEvent.metadata).not.toHaveProperty(appendIdKey);
  });
});

describe("ResolvedEvent -> RecordedEvent", () => {
  it("maps stream, revision, commit position and creation time", () => {
    const event = parseRecordedEvent(fromAll(recorded()))._unsafeUnwrap();
    expect(event).toEqual({
      id: "0b7ad2a4-3f0e-4b0a-9a43-8f0f3f1d2c11",
      type: "PaymentPaid",
      data: { paymentId: "5b0c", credits: 100 },
      metadata: { schemaVersion: 1, correlationId: "c-1" },
      stream: "payment-5b0c",
      revision: 3n,
      position: 4_096n,
      recordedAt: created,
    });
    expect(typeof event.position).toBe("bigint");
    expect(event.recordedAt).toBeInstanceOf(Date);
  });

  it("round-trips an event written through toEventData, dropping the append id", () => {
    const data = toEventData(newEvent, "attempt-9");
    const stored = recorded({
      id: data.id,
      type: data.type,
      data: newEvent.data,
      metadata: data.metadata,
      streamId: "payment-p1",
      revision: 0n,
    });
    const event = parseRecordedEvent({ event: stored })._unsafeUnwrap();
    expect(event.metadata).toEqual(newEvent.metadata);
    expect(event.data).toEqual(newEvent.data);
    expect(appendIdOf({ event: stored })).toBe("attempt-9");
    expect(appendIdOf(fromAll(recorded()))).toBeUndefined();
  });

  it("keeps metadata keys it does not know", () => {
    const event = parseRecordedEvent(
      fromAll(recorded({ metadata: { schemaVersion: 1, traceId: "t-7" } })),
    )._unsafeUnwrap();
    expect(event.metadata).toEqual({ schemaVersion: 1, traceId: "t-7" });
  });

  it("takes the commit position from a stream read's record (servers from 22.6 report it)", () => {
    const fromStream: ResolvedEvent = { event: recorded({ position: { commit: 77n, prepare: 77n } }) };
    expect(parseRecordedEvent(fromStream)._unsafeUnwrap().position).toBe(77n);
  });

  it("falls back to the resolved event's commit position when the record has none", () => {
    const { position: _none, ...withoutPosition } = recorded();
    expect(parseRecordedEvent({ event: withoutPosition, commitPosition: 555n })._unsafeUnwrap().position).toBe(555n);
  });

  it("gives each event of one batch its own, increasing position (commit == prepare per self-committed event)", () => {
    const first = parseRecordedEvent(
      fromAll(recorded({ revision: 0n, position: { commit: 1_000n, prepare: 1_000n } })),
    )._unsafeUnwrap();
    const second = parseRecordedEvent(
      fromAll(recorded({ revision: 1n, position: { commit: 1_180n, prepare: 1_180n } })),
    )._unsafeUnwrap();
    expect(second.position).toBeGreaterThan(first.position);
  });

  it.each([
    ["no metadata.schemaVersion", recorded({ metadata: { correlationId: "c" } }), /schemaVersion/],
    ["a non-integer schemaVersion", recorded({ metadata: { schemaVersion: 1.5 } }), /schemaVersion/],
    ["no metadata at all", recorded({ metadata: undefined }), /metadata/],
    ["data that is an array", recorded({ data: [1, 2] }), /data/],
    ["data that is a string", recorded({ data: "not json" }), /data/],
    [
      "a correlationId that is not a string",
      recorded({ metadata: { schemaVersion: 1, correlationId: 5 } }),
      /correlationId/,
    ],
  ])("refuses an event with %s", (_what, event, message) => {
    const parsed = parseRecordedEvent(fromAll(event));
    expect(parsed._unsafeUnwrapErr()).toMatch(message);
    expect(parsed._unsafeUnwrapErr()).toContain("payment-5b0c");
  });

  it("refuses a binary event", () => {
    const binary = {
      streamId: "payment-x",
      id: "0b7ad2a4-3f0e-4b0a-9a43-8f0f3f1d2c12",
      isJson: false as const,
      revision: 0n,
      type: "Blob",
      created,
      data: new Uint8Array([1, 2]),
      metadata: undefined,
      position: { commit: 10n, prepare: 10n },
    };
    expect(parseRecordedEvent({ event: binary, commitPosition: 10n })._unsafeUnwrapErr()).toMatch(/JSON/);
  });

  it("refuses a record without an event (an unresolved link)", () => {
    expect(parseRecordedEvent({ commitPosition: 10n })._unsafeUnwrapErr()).toMatch(/no event/);
  });

  it("refuses an event with no $all position, or the server's 'no position' marker", () => {
    const { position: _none, ...withoutPosition } = recorded();
    expect(parseRecordedEvent({ event: withoutPosition })._unsafeUnwrapErr()).toMatch(/no \$all position/);
    const marker = 2n ** 64n - 1n;
    expect(
      parseRecordedEvent({ event: recorded({ position: { commit: marker, prepare: marker } }) })._unsafeUnwrapErr(),
    ).toMatch(/no \$all position/);
  });

  it("refuses an event from a legacy explicit transaction, whose commit position is shared", () => {
    const parsed = parseRecordedEvent(fromAll(recorded({ position: { commit: 9_000n, prepare: 8_500n } })));
    expect(parsed._unsafeUnwrapErr()).toMatch(/explicit transaction/);
  });
});

describe("the ledger filter", () => {
  it.each(["payment-5b0c", "credits-42", "unmatched-charge-ch_1"])("takes events on %s", (streamId) => {
    expect(isLedgerEvent(fromAll(recorded({ streamId })))).toBe(true);
  });

  it.each([
    ["a system stream", recorded({ streamId: "$stats-127.0.0.1:2113", type: "$statsCollected" })],
    ["a ledger stream's metadata stream", recorded({ streamId: "$$payment-5b0c", type: "$metadata" })],
    ["a system event type on a ledger stream", recorded({ type: "$>" })],
    ["another application's stream", recorded({ streamId: "orders-1" })],
    ["a stream that only starts like a prefix", recorded({ streamId: "paymentx-1" })],
  ])("skips %s", (_what, event) => {
    expect(isLedgerEvent(fromAll(event))).toBe(false);
  });

  it("skips a record with no event", () => {
    expect(isLedgerEvent({ commitPosition: 5n })).toBe(false);
  });
});

describe("positions", () => {
  it("starts a read at the start for after = 0, else at after itself (forward reads include it, the store skips it)", () => {
    expect(toReadPosition(0n)).toBe(START);
    expect(toReadPosition(4_096n)).toEqual({ commit: 4_096n, prepare: 4_096n });
  });

  it("orders by commit, then prepare", () => {
    expect(comparePositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 0n })).toBe(-1);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBe(1);
    expect(comparePositions({ commit: 2n, prepare: 2n }, { commit: 2n, prepare: 2n })).toBe(0);
  });

  it("pages from the raw position of any record, ours or not", () => {
    expect(rawPosition(fromAll(recorded({ streamId: "$stats-x", position: { commit: 12n, prepare: 11n } })))).toEqual({
      commit: 12n,
      prepare: 11n,
    });
    expect(rawPosition({ commitPosition: 30n })).toEqual({ commit: 30n, prepare: 30n });
    expect(rawPosition({})).toBeUndefined();
  });
});
