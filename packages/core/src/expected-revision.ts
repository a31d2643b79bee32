import type { ExpectedRevision, NewEvent } from "./event-store.js";

/** Checks an expected revision against a stream's last revision (undefined: no stream). Shared by the stores. */
export const revisionMatches = (expected: ExpectedRevision, actual: bigint | undefined): boolean => {
  if (expected === "any") return true;
  if (expected === "no_stream") return actual === undefined;
  return actual === expected;
};

/**
 * Classifies appended ids against what a stream already holds: "new" when none exist, "replay" when
 * all exist in the stream in the same order (a retried append), "conflict" otherwise.
 */
export const classifyAppendIds = (
  events: readonly NewEvent[],
  existing: (id: string) => { stream: string; revision: bigint } | undefined,
  stream: string,
): { kind: "new" } | { kind: "replay"; lastRevision: bigint } | { kind: "conflict"; eventId: string } => {
  let previous: bigint | undefined;
  let found = 0;
  for (const event of events) {
    const hit = existing(event.id);
    if (hit === undefined) continue;
    if (hit.stream !== stream || (previous !== undefined && hit.revision !== previous + 1n)) {
      return { kind: "conflict", eventId: event.id };
    }
    previous = hit.revision;
    found++;
  }
  if (found === 0) return { kind: "new" };
  const lastEvent = events[events.length - 1];
  if (found !== events.length || previous === undefined || lastEvent === undefined) {
    return { kind: "conflict", eventId: events.find((e) => existing(e.id) !== undefined)?.id ?? "" };
  }
  return { kind: "replay", lastRevision: previous };
};
