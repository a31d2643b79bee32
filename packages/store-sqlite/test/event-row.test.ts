import { describe, expect, it } from "vitest";
import { parseEventRow } from "../src/event-row.js";

const good = {
  position: 7,
  id: "0b3e2f1a-8c9d-4e5f-a6b7-c8d9e0f1a2b3",
  stream: "payment-x",
  revision: 0,
  type: "PaymentCreated",
  data: '{"a":1}',
  metadata: '{"schemaVersion":1,"hash":"h"}',
  recorded_at: Date.parse("2026-11-26T10:00:00.000Z"),
};
/** A row as the driver returns it in raw mode: the columns in eventColumns order. */
const asRow = (r: Record<string, unknown>): unknown[] => [
  r.position,
  r.id,
  r.stream,
  r.revision,
  r.type,
  r.data,
  r.metadata,
  r.recorded_at,
];

describe("reading an event row back", () => {
  it("refuses something that is not a row of 8 columns", () => {
    expect(parseEventRow({ position: 1 })).toMatchObject({ ok: false });
    expect(parseEventRow([1, 2])).toMatchObject({ ok: false });
  });

  it("parses a valid row into a RecordedEvent", () => {
    const parsed = parseEventRow(asRow(good));
    expect(parsed).toEqual({
      ok: true,
      event: {
        id: good.id,
        type: "PaymentCreated",
        data: { a: 1 },
        metadata: { schemaVersion: 1, hash: "h" },
        stream: "payment-x",
        revision: 0n,
        position: 7n,
        recordedAt: new Date(good.recorded_at),
      },
    });
  });

  const corruptions: [string, Record<string, unknown>, string][] = [
    ["a zero position", { position: 0 }, "position"],
    ["a position beyond the safe integers", { position: 2 ** 53 + 2 }, "position"],
    ["a revision that is text", { revision: "1" }, "revision"],
    ["a negative revision", { revision: -1 }, "revision"],
    ["an empty id", { id: "" }, "id"],
    ["an empty type", { type: "" }, "type"],
    ["a stream that is not text", { stream: 5 }, "stream"],
    ["data that is not JSON", { data: "not json" }, "data is not JSON"],
    ["data that is an array", { data: "[1]" }, "data must be a JSON object"],
    ["metadata without a schema version", { metadata: '{"hash":"h"}' }, "schemaVersion"],
    [
      "a recorded_at that is text (the schema before version 2)",
      { recorded_at: "2026-11-26T10:00:00.000Z" },
      "recorded_at",
    ],
    ["a recorded_at with a fraction of a millisecond", { recorded_at: 1.5 }, "recorded_at"],
    ["a recorded_at beyond what a Date holds", { recorded_at: 8.64e15 + 1 }, "recorded_at is not a date"],
  ];
  for (const [what, change, problem] of corruptions) {
    it(`refuses ${what}, naming the position and the problem`, () => {
      const parsed = parseEventRow(asRow({ ...good, ...change }));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.message).toContain(problem);
        expect(parsed.message).toContain("event row at position");
      }
    });
  }
});
