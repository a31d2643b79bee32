import { anchorLine, type Anchor } from "./anchor.js";

/** What can be wrong, from the first event to the summary line of an export. */
export type ProblemKind =
  /** Global positions not strictly increasing (an export's lines reordered, or a store reading out of order). */
  | "position_order"
  /** metadata.hash or metadata.prevHash absent or not 64 lowercase hex digits. */
  | "missing_metadata"
  /** A stream skips revisions, or (in a store or a full export) does not start at revision 0. */
  | "revision_gap"
  /** A stream's revision repeats or goes backwards. */
  | "revision_order"
  /** metadata.prevHash is not the hash of the stream's previous event (genesis for revision 0). */
  | "prev_hash_mismatch"
  /** The event does not hash to its metadata.hash: stream, revision, type, data or prevHash changed. */
  | "hash_mismatch"
  /** The store failed while being read. */
  | "store_unreadable"
  /** An export line that is neither an event nor the summary. */
  | "malformed_line"
  /** An event outside the export's declared range. */
  | "out_of_range"
  | "summary_missing"
  | "summary_malformed"
  /** A summary field (range, first/last position, stream list, anchor) disagrees with the lines. */
  | "summary_mismatch"
  /** The summary's event count (total or per stream) disagrees with the lines. */
  | "count_mismatch"
  /** A stream's first exported event disagrees with the summary's start revision or start prevHash. */
  | "start_mismatch"
  /** A stream's last exported event disagrees with the summary's head revision or head hash (a truncated tail). */
  | "head_mismatch"
  /** The SHA-256 of the lines before the summary is not the summary's digest. */
  | "digest_mismatch"
  /** Anything but empty lines after the summary. */
  | "trailing_data"
  /** The heads as of the anchor's position do not digest to the anchor. */
  | "anchor_digest_mismatch"
  /** An anchored head is still there, but with another hash: that stream was rewritten. */
  | "anchor_head_mismatch"
  /** An anchored head is gone: the stream was truncated or deleted. */
  | "anchor_head_missing"
  /** The export does not reach back to, or up to, what the anchor covers. */
  | "anchor_not_covered";

export type ChainProblem = {
  readonly kind: ProblemKind;
  readonly message: string;
  readonly stream?: string;
  readonly revision?: bigint;
  readonly position?: bigint;
  /** 1-based line of an export file. */
  readonly line?: number;
};

export type AnchorCheck = {
  readonly anchor: string;
  readonly ok: boolean;
  /** Whether the heads as of the anchor's position digest to the anchor; undefined when that could not be computed. */
  readonly digestMatches: boolean | undefined;
  /** Anchored heads checked one by one (only with the heads file). */
  readonly headsChecked: number | undefined;
  /** Streams whose anchored head changed or vanished. */
  readonly changedStreams: readonly string[];
};

export type VerifyReport = {
  readonly source: "store" | "export";
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  /** Position of the last event read; 0n when there was none. */
  readonly lastPosition: bigint;
  /** The heads digest as of lastPosition; undefined for a ranged export (it does not hold every head). */
  readonly anchor: Anchor | undefined;
  /** The earliest problem (by line, else position); undefined when ok. */
  readonly firstBreak: ChainProblem | undefined;
  /** At most problemsMax, earliest first. */
  readonly problems: readonly ChainProblem[];
  /** All problems found, including those not listed. */
  readonly problemCount: number;
  readonly anchorCheck: AnchorCheck | undefined;
  /** An export's declared range (inclusive positions); undefined bounds are open. */
  readonly range: { readonly from: bigint | undefined; readonly to: bigint | undefined } | undefined;
};

/** A store always has an anchor: the heads digest as of its last event. */
export type StoreVerifyReport = VerifyReport & { readonly source: "store"; readonly anchor: Anchor };

/** Reports list this many problems at most; the count covers all. */
export const problemsMax = 100;

const where = (problem: ChainProblem): string => {
  const parts: string[] = [];
  if (problem.line !== undefined) parts.push(`line ${problem.line}`);
  if (problem.stream !== undefined) parts.push(problem.stream);
  if (problem.revision !== undefined) parts.push(`revision ${problem.revision.toString()}`);
  if (problem.position !== undefined) parts.push(`position ${problem.position.toString()}`);
  return parts.length === 0 ? "" : ` at ${parts.join(", ")}`;
};

export const formatProblem = (problem: ChainProblem): string => `${problem.kind}${where(problem)}: ${problem.message}`;

/**
 * Human text, no trailing newline. The last line starts with "OK:" or "BROKEN:"; the CLI exits 0 on ok, 1 otherwise.
 */
export const formatVerifyReport = (report: VerifyReport): string => {
  const lines: string[] = [];
  const what = report.source === "store" ? "store" : "export";
  lines.push(
    `Verified ${what}: ${report.events} events in ${report.streams} streams, last position ${report.lastPosition.toString()}`,
  );
  if (report.range !== undefined && (report.range.from !== undefined || report.range.to !== undefined)) {
    lines.push(
      `Range: positions ${report.range.from?.toString() ?? "start"} to ${report.range.to?.toString() ?? "end"}`,
    );
  }
  if (report.anchor !== undefined) lines.push(`Anchor: ${anchorLine(report.anchor)}`);
  if (report.anchorCheck !== undefined) {
    const check = report.anchorCheck;
    const verdict = check.ok
      ? "holds"
      : `FAILS${check.changedStreams.length === 0 ? "" : `, changed: ${check.changedStreams.join(", ")}`}`;
    lines.push(`Against anchor ${check.anchor}: ${verdict}`);
  }
  if (report.ok) {
    lines.push(`OK: every hash chain is intact${report.source === "export" ? " and the summary matches" : ""}`);
    return lines.join("\n");
  }
  for (const problem of report.problems) lines.push(`  - ${formatProblem(problem)}`);
  if (report.problemCount > report.problems.length)
    lines.push(`  ... and ${report.problemCount - report.problems.length} more`);
  const first = report.firstBreak;
  lines.push(
    `BROKEN: ${report.problemCount} problem${report.problemCount === 1 ? "" : "s"}; first: ${first === undefined ? "?" : formatProblem(first)}`,
  );
  return lines.join("\n");
};

const problemJson = (problem: ChainProblem) => ({
  kind: problem.kind,
  message: problem.message,
  ...(problem.stream === undefined ? {} : { stream: problem.stream }),
  ...(problem.revision === undefined ? {} : { revision: problem.revision.toString() }),
  ...(problem.position === undefined ? {} : { position: problem.position.toString() }),
  ...(problem.line === undefined ? {} : { line: problem.line }),
});

/** The report as one JSON-ready object: bigints as decimal strings, the anchor as its line (heads left out). */
export const verifyReportJson = (report: VerifyReport) => ({
  source: report.source,
  ok: report.ok,
  events: report.events,
  streams: report.streams,
  lastPosition: report.lastPosition.toString(),
  anchor: report.anchor === undefined ? null : anchorLine(report.anchor),
  firstBreak: report.firstBreak === undefined ? null : problemJson(report.firstBreak),
  problems: report.problems.map(problemJson),
  problemCount: report.problemCount,
  anchorCheck:
    report.anchorCheck === undefined
      ? null
      : { ...report.anchorCheck, changedStreams: [...report.anchorCheck.changedStreams] },
  range:
    report.range === undefined
      ? null
      : { from: report.range.from?.toString() ?? null, to: report.range.to?.toString() ?? null },
});
