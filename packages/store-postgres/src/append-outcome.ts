import assert from "node:assert/strict";
import { z } from "zod";
import {
  classifyAppendIds,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type StoreError,
} from "@starledger/core";
import { err, ok, type Result } from "neverthrow";

const int8Text = z
  .string()
  .regex(/^\d+$/, "is not a non-negative int8")
  .transform((text) => BigInt(text));

/** The one row `append_events` returns, parsed at the edge (int8 columns arrive as bigint: see type-parsers.ts). */
export const AppendRow = z.object({
  outcome: z.enum(["appended", "conflict", "existing"]),
  actual_revision: z.bigint().nullable(),
  next_revision: z.bigint().nullable(),
  last_position: z.bigint().nullable(),
  existing: z
    .array(z.object({ id: z.string(), stream: z.string(), revision: int8Text, position: int8Text }))
    .nullable(),
});
export type AppendRow = z.infer<typeof AppendRow>;

/** `append_events`' p_expected: NULL for "any", -1 for "no_stream", else the revision. */
export const expectedRevisionParameter = (expected: ExpectedRevision): string | null =>
  expected === "any" ? null : expected === "no_stream" ? "-1" : expected.toString();

type ExistingEvent = { readonly stream: string; readonly revision: bigint; readonly position: bigint };

/** Turns the database's answer into the port's result, classifying already-present ids as core does. */
export const appendOutcome = (
  row: AppendRow,
  stream: string,
  events: readonly NewEvent[],
  expectedRevision: ExpectedRevision,
): Result<AppendResult, StoreError> => {
  switch (row.outcome) {
    case "appended":
      assert(
        row.next_revision !== null && row.last_position !== null,
        "append_events appended without a revision or position",
      );
      return ok({ nextRevision: row.next_revision, position: row.last_position });
    case "conflict":
      return err({
        type: "ConcurrencyError",
        stream,
        expected: expectedRevision,
        actual: row.actual_revision ?? "no_stream",
      });
    case "existing": {
      const existing = new Map<string, ExistingEvent>((row.existing ?? []).map((hit) => [hit.id, hit]));
      const replay = classifyAppendIds(events, (id) => existing.get(id), stream);
      if (replay.kind === "conflict") return err({ type: "DuplicateEventId", stream, eventId: replay.eventId });
      assert(replay.kind === "replay", "append_events reported existing ids that classify as new");
      const lastId = events[events.length - 1]?.id;
      const last = lastId === undefined ? undefined : existing.get(lastId);
      assert(last !== undefined, "a replayed append has a last event");
      return ok({ nextRevision: replay.lastRevision, position: last.position, alreadyRecorded: true });
    }
  }
};
