import { describe, expect, it } from "vitest";
import { parseEventRow } from "../src/event-row.js";

const good = {
  position: 7n,
  id: "0b3e2f1a-8c9d-4e5f-a6b7-c8d9e0f1a2b3",
  stream: "payment-x",
  revision: 0n,
  type: "PaymentCreated",
  data: '{"a":1}',
  metadata: '{"schemaVersion":1,"hash":"h"}',
  recorded_at: "2026-11-26T10:00:00.000Z",
};

describe("reading an event row back", () => {
  it("parses a valid row into a RecordedEvent", () => {
    const parsed = parseEventRow(good);
    expect(parsed).toEqual({
      ok: true,
      event: { id: good.id, type: "PaymentCreated", data: { a: 1 }, metadata: { schemaVersion: 1, hash: "h" }, stream: "payment-x", revision: 0n, position: 7n, recordedAt: new Date(good.recorded_at) },
    });
  });

  const corruptions: [string, Record<string, unknown>, string][] = [
    ["a zero position", { position: 0n }, "position"],
    ["a number instead of a bigint revision", { revision: 1 }, "revision"],
    ["a negative revision", { revision: -1n }, "revision"],
    ["an empty id", { id: "" }, "id"],
    ["an empty type", { type: "" }, "type"],
    ["a stream that is not text", { stream: 5 }, "stream"],
    ["data that is not JSON", { data: "not json" }, "data is not JSON"],
    ["data that is an array", { data: "[1]" }, "data must be a JSON object"],
    ["metadata without a schema version", { metadata: '{"hash":"h"}' }, "schemaVersion"],
    ["a recorded_at that is not a date", { recorded_at: "yesterday" }, "recorded_at"],
  ];
  for (const [what, change, problem] of corruptions) {
    it(`refuses ${what}, naming the position and the problem`, () => {
      const parsed = parseEventRow({ ...good, ...change });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.message).toContain(problem);
        expect(parsed.message).toContain("event row at position");
      }
    });
  }
});
