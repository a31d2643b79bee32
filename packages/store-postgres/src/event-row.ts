import { z } from "zod";
import type { EventMetadata, JsonObject, RecordedEvent } from "@starledger/core";

/** The columns selected from `events`, matching EventRow. */
export const eventColumns =
  "position, id, stream, revision, type, data, metadata, floor(extract(epoch FROM recorded_at) * 1000)::bigint AS recorded_at_ms";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/*
 * The column types (text, bigint, json, NOT NULL) are enforced by PostgreSQL, and parsed by the
 * store's own type parsers (int8 as bigint, json parsed, see type-parsers.ts); what the
 * database cannot promise is the shape of the JSON, so that is checked here, shallowly: this parse
 * runs once per event read, and a deep walk of `data` would cost more than the query itself.
 */
const EventRow = z.object({
  position: z.bigint(),
  id: z.string().min(1),
  stream: z.string(),
  revision: z.bigint(),
  type: z.string().min(1),
  data: z.custom<JsonObject>(isObject, "data is not a JSON object"),
  metadata: z.custom<EventMetadata>(
    (value) => isObject(value) && Number.isInteger(value.schemaVersion),
    "metadata is not an object with an integer schemaVersion",
  ),
  recorded_at_ms: z.bigint(),
});

/** Parses a row read back from PostgreSQL into a RecordedEvent; a row that does not parse is corruption, so it throws. */
export const parseEventRow = (row: unknown): RecordedEvent => {
  const parsed = EventRow.safeParse(row);
  if (!parsed.success) {
    const position = isObject(row) ? String(row.position) : "?";
    throw new Error(`event row at position ${position} is corrupt: ${z.prettifyError(parsed.error)}`);
  }
  const { position, id, stream, revision, type, data, metadata, recorded_at_ms } = parsed.data;
  return { id, type, data, metadata, stream, revision, position, recordedAt: new Date(Number(recorded_at_ms)) };
};
