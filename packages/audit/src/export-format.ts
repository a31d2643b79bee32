import type { RecordedEvent } from "@starledger/core";
import { z } from "zod";

/** The version tag of the audit export (NDJSON: event lines, then one summary line). */
export const exportFormat = "sl-audit-export-v1";
/** A longer line is refused as malformed before it is parsed (events are a few hundred bytes). */
export const exportLineLengthMax = 1024 * 1024;

/** One stream within an export: where it starts (its first exported event) and its head (its last). */
export type ExportStreamSummary = {
  readonly stream: string;
  readonly events: number;
  readonly startRevision: string;
  /** The prevHash of the first exported event: the trusted starting point when the export starts mid-chain. */
  readonly startPrevHash: string;
  readonly headRevision: string;
  readonly headHash: string;
};

/** The last line, as `{"summary": ExportSummary}`. Positions and revisions are decimal strings. */
export type ExportSummary = {
  readonly format: typeof exportFormat;
  /** Inclusive positions; null is open (from null: the export starts at the first event, so every stream from revision 0). */
  readonly range: { readonly from: string | null; readonly to: string | null };
  readonly events: number;
  readonly firstPosition: string | null;
  readonly lastPosition: string | null;
  /** Sorted by stream name. */
  readonly streams: readonly ExportStreamSummary[];
  /** For an export from the start: the anchor line of the heads as of lastPosition (compare with one you kept). */
  readonly anchor: string | null;
  /** SHA-256 hex of every preceding line, each as UTF-8 followed by "\n". */
  readonly digest: string;
};

/** An event line: position and revision as decimal strings (bigint-exact), keys in this order. */
export const eventLine = (event: RecordedEvent): string =>
  JSON.stringify({
    position: event.position.toString(),
    stream: event.stream,
    revision: event.revision.toString(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
    id: event.id,
  });

export const summaryLine = (summary: ExportSummary): string => JSON.stringify({ summary });

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/);
/** A decimal string, or a JSON integer for files written by hand or by other tools. */
const BigIntField = z
  .union([decimal, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => BigInt(v));

export const EventLine = z.strictObject({
  position: BigIntField,
  stream: z.string(),
  revision: BigIntField,
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
  id: z.string(),
});
export type EventLine = z.output<typeof EventLine>;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const SummaryLine = z.strictObject({
  summary: z.strictObject({
    format: z.literal(exportFormat),
    range: z.strictObject({ from: decimal.nullable(), to: decimal.nullable() }),
    events: z.number().int().nonnegative(),
    firstPosition: decimal.nullable(),
    lastPosition: decimal.nullable(),
    streams: z.array(
      z.strictObject({
        stream: z.string(),
        events: z.number().int().nonnegative(),
        startRevision: decimal,
        startPrevHash: z.string(),
        headRevision: decimal,
        headHash: z.string(),
      }),
    ),
    anchor: z.string().nullable(),
    digest: hex64,
  }),
});
