import type { EventMetadata, RecordedEvent } from "@starledger/core";

/** The columns selected from `events`, in the order parseEventRow reads them (rows are read as arrays). */
export const eventColumns = "position, id, stream, revision, type, data, metadata, recorded_at";

export type ParsedRow = { ok: true; event: RecordedEvent } | { ok: false; message: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const parseJsonObject = (text: unknown): Record<string, unknown> | string => {
  if (typeof text !== "string") return "is not text";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "is not JSON";
  }
  return isObject(value) ? value : "must be a JSON object";
};

/** Module level, not a closure made in every parseEventRow call: that closure cost a third of the function's time per row. */
const corruptRow = (row: unknown, problem: string): ParsedRow => {
  const position = Array.isArray(row) ? String(row[0]) : "?";
  return { ok: false, message: `event row at position ${position} is corrupt: ${problem}` };
};

/**
 * Parses a row once, at the edge, into a RecordedEvent. Hand-written checks rather than a zod schema:
 * this is the replay path, run once per event, and a schema with a datetime pattern and an object copy
 * per row cost more than the JSON parsing itself. Every field is still checked.
 */
export const parseEventRow = (row: unknown): ParsedRow => {
  // Rows come as arrays of plain numbers (statement.raw(), no safeIntegers): no object or BigInt per column in
  // the driver. Positions and revisions are checked to be safe integers, then widened to bigint once here.
  if (!Array.isArray(row) || row.length !== 8) return corruptRow(row, "not a row of 8 columns");
  const [position, id, stream, revision, type, data, metadata, recordedAtMs] = row as unknown[];
  if (typeof position !== "number" || !Number.isSafeInteger(position) || position <= 0)
    return corruptRow(row, "position must be a positive integer");
  if (typeof id !== "string" || id === "") return corruptRow(row, "id must be a non-empty string");
  if (typeof stream !== "string") return corruptRow(row, "stream must be a string");
  if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 0)
    return corruptRow(row, "revision must be a non-negative integer");
  if (typeof type !== "string" || type === "") return corruptRow(row, "type must be a non-empty string");
  if (typeof recordedAtMs !== "number" || !Number.isSafeInteger(recordedAtMs))
    return corruptRow(row, "recorded_at must be integer milliseconds");
  const recordedAt = new Date(recordedAtMs);
  if (Number.isNaN(recordedAt.getTime())) return corruptRow(row, "recorded_at is not a date");
  const parsedData = parseJsonObject(data);
  if (typeof parsedData === "string") return corruptRow(row, `data ${parsedData}`);
  const parsedMetadata = parseJsonObject(metadata);
  if (typeof parsedMetadata === "string") return corruptRow(row, `metadata ${parsedMetadata}`);
  if (!Number.isInteger(parsedMetadata.schemaVersion))
    return corruptRow(row, "metadata: schemaVersion must be an integer");
  return {
    ok: true,
    event: {
      id,
      type,
      data: parsedData,
      metadata: parsedMetadata as EventMetadata,
      stream,
      revision: BigInt(revision),
      position: BigInt(position),
      recordedAt,
    },
  };
};
