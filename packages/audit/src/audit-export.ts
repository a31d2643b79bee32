import { createHash } from "node:crypto";
import type { EventStore } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { anchorLine, compareStreams, headsDigest, type AuditStoreError } from "./anchor.js";
import { eventLine, exportFormat, summaryLine, type ExportStreamSummary, type ExportSummary } from "./export-format.js";

/** Inclusive global positions. A `from` of 1 or less is the start (the export is then a full one). */
export type ExportRange = { readonly from?: bigint; readonly to?: bigint };

export type InvalidRange = { readonly type: "InvalidRange"; readonly message: string };
export type ExportError = AuditStoreError | InvalidRange;

/** Receives each line without its newline; the caller writes line + "\n". Awaited before the next line. */
export type LineWriter = (line: string) => void | Promise<void>;

type StreamState = {
  events: number;
  startRevision: bigint;
  startPrevHash: string;
  headRevision: bigint;
  headHash: string;
};

const hashOf = (metadata: Readonly<Record<string, unknown>>, key: "hash" | "prevHash"): string => {
  const value = metadata[key];
  return typeof value === "string" ? value : "";
};

/**
 * Writes the events of `range` as NDJSON in global order, then the summary line: per-stream start and head,
 * counts, the range, an anchor line (for an export from the start) and the SHA-256 of all preceding lines.
 * Events are copied as recorded, tampered or not: verifyExport judges them.
 */
export const exportAudit = async (
  store: EventStore,
  range: ExportRange,
  write: LineWriter,
): Promise<Result<ExportSummary, ExportError>> => {
  const from = range.from !== undefined && range.from > 1n ? range.from : undefined;
  const to = range.to;
  if (to !== undefined && (to < 0n || (from !== undefined && to < from))) {
    return err({
      type: "InvalidRange",
      message: `the range ends (${to.toString()}) before it starts (${(from ?? 1n).toString()})`,
    });
  }
  const digest = createHash("sha256");
  const streams = new Map<string, StreamState>();
  let events = 0;
  let firstPosition: bigint | undefined;
  let lastPosition: bigint | undefined;
  try {
    for await (const event of store.readAll({ after: from === undefined ? 0n : from - 1n })) {
      if (to !== undefined && event.position > to) break;
      const line = eventLine(event);
      digest.update(`${line}\n`);
      await write(line);
      events++;
      firstPosition ??= event.position;
      lastPosition = event.position;
      const state = streams.get(event.stream);
      const hash = hashOf(event.metadata, "hash");
      if (state === undefined) {
        streams.set(event.stream, {
          events: 1,
          startRevision: event.revision,
          startPrevHash: hashOf(event.metadata, "prevHash"),
          headRevision: event.revision,
          headHash: hash,
        });
      } else {
        state.events++;
        state.headRevision = event.revision;
        state.headHash = hash;
      }
    }
  } catch (error) {
    if (error instanceof Error && error.name === "StoreUnavailableError")
      return err({ type: "StoreUnavailable", message: error.message });
    throw error;
  }
  const streamSummaries: ExportStreamSummary[] = [...streams.entries()]
    .sort(([a], [b]) => compareStreams(a, b))
    .map(([stream, s]) => ({
      stream,
      events: s.events,
      startRevision: s.startRevision.toString(),
      startPrevHash: s.startPrevHash,
      headRevision: s.headRevision.toString(),
      headHash: s.headHash,
    }));
  const anchorPosition = lastPosition ?? 0n;
  const heads = [...streams.entries()].map(([stream, s]) => ({ stream, revision: s.headRevision, hash: s.headHash }));
  const summary: ExportSummary = {
    format: exportFormat,
    range: { from: from?.toString() ?? null, to: to?.toString() ?? null },
    events,
    firstPosition: firstPosition?.toString() ?? null,
    lastPosition: lastPosition?.toString() ?? null,
    streams: streamSummaries,
    anchor:
      from === undefined ? anchorLine({ position: anchorPosition, digest: headsDigest(anchorPosition, heads) }) : null,
    digest: digest.digest("hex"),
  };
  await write(summaryLine(summary));
  return ok(summary);
};
