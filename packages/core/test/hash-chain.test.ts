import { describe, expect, it } from "vitest";
import { canonicalJson, deterministicEventId, eventHash, genesisHash, parseLedgerEvent } from "../src/index.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth and has no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
  it("the same event always hashes the same, whatever its key order", () => {
    const a = eventHash({
      stream: "payment-1",
      revision: 0n,
      type: "T",
      data: { x: 1, y: "2" },
      prevHash: genesisHash,
    });
    const b = eventHash({
      stream: "payment-1",
      revision: 0n,
      type: "T",
      data: { y: "2", x: 1 },
      prevHash: genesisHash,
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
  it("any change to stream, revision, type, data or prevHash changes the hash", () => {
    const base = { stream: "payment-1", revision: 0n, type: "T", data: { x: 1 }, prevHash: genesisHash };
    const h = eventHash(base);
    expect(eventHash({ ...base, stream: "payment-2" })).not.toBe(h);
    expect(eventHash({ ...base, revision: 1n })).not.toBe(h);
    expect(eventHash({ ...base, type: "U" })).not.toBe(h);
    expect(eventHash({ ...base, data: { x: 2 } })).not.toBe(h);
    expect(eventHash({ ...base, prevHash: h })).not.toBe(h);
  });
});

describe("deterministic event ids", () => {
  it("are valid v5-layout UUIDs, stable for the same input and distinct otherwise", () => {
    const id = deterministicEventId("payment-1", "charge:c1", 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId("payment-1", "charge:c1", 0)).toBe(id);
    expect(deterministicEventId("payment-1", "charge:c1", 1)).not.toBe(id);
    expect(deterministicEventId("payment-2", "charge:c1", 0)).not.toBe(id);
  });
});

describe("reading stored events", () => {
  const data = { userId: 1, delta: 5, reason: "r", admin: "a", adjustedAt: "2026-11-26T10:00:00.000Z" };
  it("parses a valid event of the current version", () => {
    const parsed = parseLedgerEvent("CreditsAdjusted", data, 1);
    expect(parsed.ok && parsed.event).toEqual({ type: "CreditsAdjusted", data });
  });
  it("refuses unknown types, future versions and malformed data with a message", () => {
    const unknown = parseLedgerEvent("Nope", data, 1);
    expect(!unknown.ok && unknown.error.message).toBe('unknown event type "Nope"');
    const future = parseLedgerEvent("CreditsAdjusted", data, 2);
    expect(!future.ok && future.error.message).toContain("schema version 2");
    const bad = parseLedgerEvent("CreditsAdjusted", { ...data, delta: 1.5 }, 1);
    expect(!bad.ok && bad.error.message).toContain("delta");
  });
});
