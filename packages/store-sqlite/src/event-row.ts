import { z } from "zod";
import type { JsonObject, RecordedEvent } from "@starledger/core";

/** The columns selected from `events`, in the order the row schema names them. */
export const eventColumns = "position, id, stream, revision, type, data, metadata, recorded_at";

/** A row read back from SQLite (integers read as bigint). data and metadata are JSON text, parsed below. */
const EventRow = z.object({
  position: z.bigint().positive(),
  id: z.string().min(1),
  stream: z.string(),
  revision: z.bigint().nonnegative(),
  type: z.string().min(1),
  data: z.string(),
  metadata: z.string(),
  recorded_at: z.iso.datetime({ offset: true }),
});
/** A check, not a copy: data can be large and readAll is the replay path. */
const Data = z.custom<JsonObject>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "must be a JSON object",
);
const Metadata = z.looseObject({ schemaVersion: z.number().int() });

export type ParsedRow = { ok: true; event: RecordedEvent } | { ok: false; message: string };

const parseJson = <T extends z.ZodType>(schema: T, text: string): z.ZodSafeParseResult<z.output<T>> | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return schema.safeParse(value);
};

/** Parses a row once, at the edge, into a RecordedEvent. */
export const parseEventRow = (row: unknown): ParsedRow => {
  const parsed = EventRow.safeParse(row);
  const corrupt = (problem: string): ParsedRow => {
    const position = typeof row === "object" && row !== null && "position" in row ? String(row.position) : "?";
    return { ok: false, message: `event row at position ${position} is corrupt: ${problem}` };
  };
  if (!parsed.success) return corrupt(z.prettifyError(parsed.error));
  const { position, id, stream, revision, type, recorded_at } = parsed.data;
  const data = parseJson(Data, parsed.data.data);
  if (data === undefined) return corrupt("data is not JSON");
  if (!data.success) return corrupt(`data: ${z.prettifyError(data.error)}`);
  const metadata = parseJson(Metadata, parsed.data.metadata);
  if (metadata === undefined) return corrupt("metadata is not JSON");
  if (!metadata.success) return corrupt(`metadata: ${z.prettifyError(metadata.error)}`);
  return {
    ok: true,
    event: { id, type, data: data.data, metadata: metadata.data, stream, revision, position, recordedAt: new Date(recorded_at) },
  };
};
