import { describe, expect, it } from "vitest";
import { classifyAppendIds, revisionMatches, type NewEvent } from "../src/index.js";

const newEvent = (id: string): NewEvent => ({
  id,
  type: "CreditsAdjusted",
  data: {},
  metadata: { schemaVersion: 1 },
});

describe("revisionMatches", () => {
  it.each([
    ["any, on no stream", "any", undefined, true],
    ["any, on a stream", "any", 3n, true],
    ["no_stream, on no stream", "no_stream", undefined, true],
    ["no_stream, on a stream", "no_stream", 0n, false],
    ["the stream's last revision", 3n, 3n, true],
    ["an older revision", 2n, 3n, false],
    ["a revision, on no stream", 0n, undefined, false],
  ] as const)("%s -> %s", (_name, expected, actual, matches) => {
    expect(revisionMatches(expected, actual)).toBe(matches);
  });
});

describe("classifyAppendIds", () => {
  /** Ids already stored: a-0, a-1 on stream "a" at revisions 0 and 1; b-0 on stream "b". */
  const stored = new Map([
    ["a-0", { stream: "a", revision: 0n }],
    ["a-1", { stream: "a", revision: 1n }],
    ["b-0", { stream: "b", revision: 0n }],
  ]);
  const classify = (ids: readonly string[], stream = "a") =>
    classifyAppendIds(ids.map(newEvent), (id) => stored.get(id), stream);

  it("ids the store has never seen are new", () => {
    expect(classify(["x", "y"])).toEqual({ kind: "new" });
  });

  it("the same ids, in the same order, on the same stream are a replay of that append", () => {
    expect(classify(["a-0", "a-1"])).toEqual({ kind: "replay", lastRevision: 1n });
    expect(classify(["a-1"])).toEqual({ kind: "replay", lastRevision: 1n });
  });

  it("an id held by another stream is a conflict, named", () => {
    expect(classify(["b-0"])).toEqual({ kind: "conflict", eventId: "b-0" });
  });

  it("stored ids out of order, or mixed with new ones, are a conflict", () => {
    expect(classify(["a-1", "a-0"])).toEqual({ kind: "conflict", eventId: "a-0" });
    expect(classify(["a-0", "x"])).toEqual({ kind: "conflict", eventId: "a-0" });
    expect(classify(["x", "a-1"])).toEqual({ kind: "conflict", eventId: "a-1" });
  });
});
