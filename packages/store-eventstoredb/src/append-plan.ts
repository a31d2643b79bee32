import type { AppendExpectedRevision } from "@eventstore/db-client";
import {
  classifyAppendIds,
  revisionMatches,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type StoreError,
  type StreamRead,
} from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { exactExpectedRevision, toEsdbExpectedRevision } from "./esdb-revisions.js";

export type AppendPlan =
  | { readonly kind: "answer"; readonly result: Result<AppendResult, StoreError> }
  /** Write, telling the server the exact revision the stream was read at (never ANY). */
  | { readonly kind: "write"; readonly expectedRevision: AppendExpectedRevision };

const answer = (result: Result<AppendResult, StoreError>): AppendPlan => ({ kind: "answer", result });

/**
 * Decides an append from the stream as just read. EventStoreDB's own duplicate detection is a bounded,
 * best-effort cache, so the ids are checked here against every event in the stream: all already there
 * in order -> the original result, marked alreadyRecorded; some -> DuplicateEventId; none -> check the
 * expected revision and write.
 */
export const planAppend = (
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  current: StreamRead,
): AppendPlan => {
  const byId = new Map(current.events.map((event) => [event.id.toLowerCase(), event]));
  const ids = classifyAppendIds(
    events,
    (id) => {
      const hit = byId.get(id.toLowerCase());
      return hit === undefined ? undefined : { stream, revision: hit.revision };
    },
    stream,
  );
  if (ids.kind === "conflict") return answer(err({ type: "DuplicateEventId", stream, eventId: ids.eventId }));
  if (ids.kind === "replay") {
    const last = current.events.find((event) => event.revision === ids.lastRevision);
    if (last === undefined)
      throw new Error(`unreachable: replayed revision ${ids.lastRevision} of ${stream} not in the read`);
    return answer(ok({ nextRevision: last.revision, position: last.position, alreadyRecorded: true }));
  }
  const actual = current.revision === "no_stream" ? undefined : current.revision;
  if (!revisionMatches(expected, actual)) {
    return answer(err({ type: "ConcurrencyError", stream, expected, actual: current.revision }));
  }
  if (events.length === 0) {
    return answer(
      ok({ nextRevision: actual ?? -1n, position: current.events[current.events.length - 1]?.position ?? 0n }),
    );
  }
  // "any" becomes the revision just read, so a writer that slips in between is caught and the ids looked at again.
  const expectedRevision =
    expected === "any" ? exactExpectedRevision(current.revision) : toEsdbExpectedRevision(expected);
  return { kind: "write", expectedRevision };
};
