import { createHash } from "node:crypto";
import { z } from "zod";
import { anchorLine, headsDigest, type ParsedAnchor } from "./anchor.js";
import { ChainChecker } from "./chain-checker.js";
import { EventLine, exportLineLengthMax, SummaryLine } from "./export-format.js";
import type { AnchorCheck, VerifyReport } from "./verify-report.js";

export type VerifyExportOptions = {
  /** Also prove the export against an anchor kept elsewhere (needs an export from the start). */
  readonly anchor?: ParsedAnchor;
};

type Summary = z.output<typeof SummaryLine>["summary"];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const oneLine = (error: z.ZodError): string =>
  z
    .prettifyError(error)
    .replace(/\s*\n\s*/g, "; ")
    .slice(0, 300);

/**
 * Checks an audit export offline: every line is an event or the one summary at the end; every stream's
 * chain holds (a ranged export starts each stream at the summary's trusted start); the summary's counts,
 * starts, heads, range, anchor and digest match the lines; nothing but empty lines follows the summary.
 * Lines come without their newline; a trailing "\r" is dropped (CRLF files).
 */
export const verifyExport = async (
  lines: AsyncIterable<string> | Iterable<string>,
  options: VerifyExportOptions = {},
): Promise<VerifyReport> => {
  const checker = new ChainChecker({ requireGenesis: false, anchor: options.anchor });
  const digest = createHash("sha256");
  let lineNumber = 0;
  let summaryAt: number | undefined;
  let summary: Summary | undefined;
  let digestBeforeSummary = "";
  let trailingLines = 0;
  let firstTrailingLine = 0;

  for await (const rawLine of lines) {
    lineNumber++;
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (summaryAt !== undefined) {
      if (line === "") continue;
      trailingLines++;
      if (firstTrailingLine === 0) firstTrailingLine = lineNumber;
      continue;
    }
    if (line.length > exportLineLengthMax) {
      digest.update(`${line}\n`);
      checker.add({
        line: lineNumber,
        kind: "malformed_line",
        message: `the line is longer than ${exportLineLengthMax} characters`,
      });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      json = undefined;
    }
    if (isRecord(json) && Object.hasOwn(json, "summary")) {
      summaryAt = lineNumber;
      digestBeforeSummary = digest.digest("hex");
      const parsed = SummaryLine.safeParse(json);
      if (parsed.success) summary = parsed.data.summary;
      else
        checker.add({
          line: lineNumber,
          kind: "summary_malformed",
          message: `the summary line is malformed: ${oneLine(parsed.error)}`,
        });
      continue;
    }
    digest.update(`${line}\n`);
    const event = EventLine.safeParse(json);
    if (!event.success) {
      const why = json === undefined ? "not JSON" : oneLine(event.error);
      checker.add({ line: lineNumber, kind: "malformed_line", message: `not an event line: ${why}` });
      continue;
    }
    checker.check(event.data, lineNumber);
  }

  if (trailingLines > 0) {
    checker.add({
      line: firstTrailingLine,
      kind: "trailing_data",
      message: `${trailingLines} non-empty line(s) after the summary`,
    });
  }
  if (summaryAt === undefined) {
    checker.add({ kind: "summary_missing", message: "no summary line: the file was truncated or its summary removed" });
  }
  const full = summary?.range.from === null;
  if (summary !== undefined && summaryAt !== undefined)
    checkSummary(checker, summary, summaryAt, digestBeforeSummary, full);

  const anchorCheck = checkAnchor(checker, options.anchor, summary, full);
  return {
    source: "export",
    ...checker.findings(),
    // A ranged export does not hold every head, so it has no anchor of its own.
    anchor: full ? checker.anchor() : undefined,
    anchorCheck,
    range:
      summary === undefined
        ? undefined
        : {
            from: summary.range.from === null ? undefined : BigInt(summary.range.from),
            to: summary.range.to === null ? undefined : BigInt(summary.range.to),
          },
  };
};

const checkSummary = (checker: ChainChecker, summary: Summary, line: number, digest: string, full: boolean): void => {
  const mismatch = (
    kind: "summary_mismatch" | "count_mismatch" | "digest_mismatch" | "out_of_range",
    message: string,
    stream?: string,
  ): void => {
    checker.add({ line, kind, message, ...(stream === undefined ? {} : { stream }) });
  };

  if (full) for (const track of checker.tracks.values()) checker.checkGenesis(track);

  const from = summary.range.from === null ? undefined : BigInt(summary.range.from);
  const to = summary.range.to === null ? undefined : BigInt(summary.range.to);
  if (from !== undefined && checker.minPosition !== undefined && checker.minPosition < from) {
    mismatch(
      "out_of_range",
      `position ${checker.minPosition.toString()} is before the range's start ${from.toString()}`,
    );
  }
  if (to !== undefined && checker.maxPosition !== undefined && checker.maxPosition > to) {
    mismatch("out_of_range", `position ${checker.maxPosition.toString()} is after the range's end ${to.toString()}`);
  }
  if (summary.events !== checker.events) {
    mismatch("count_mismatch", `the summary counts ${summary.events} events, the file holds ${checker.events}`);
  }
  if (summary.digest !== digest) {
    mismatch(
      "digest_mismatch",
      `the lines before the summary hash to ${digest.slice(0, 16)}..., the summary says ${summary.digest.slice(0, 16)}...`,
    );
  }
  const first = checker.minPosition?.toString() ?? null;
  const last = checker.lastPosition?.toString() ?? null;
  if (summary.firstPosition !== first || summary.lastPosition !== last) {
    mismatch(
      "summary_mismatch",
      `the summary spans positions ${summary.firstPosition ?? "none"}..${summary.lastPosition ?? "none"}, the lines ${first ?? "none"}..${last ?? "none"}`,
    );
  }

  const listed = new Set<string>();
  for (const entry of summary.streams) {
    if (listed.has(entry.stream)) {
      checker.add({
        line,
        stream: entry.stream,
        kind: "summary_malformed",
        message: "the summary lists this stream twice",
      });
      continue;
    }
    listed.add(entry.stream);
    const track = checker.tracks.get(entry.stream);
    if (track === undefined) {
      mismatch(
        "summary_mismatch",
        `the summary lists ${entry.events} event(s) of this stream, the file has none`,
        entry.stream,
      );
      continue;
    }
    if (entry.events !== track.events) {
      mismatch(
        "count_mismatch",
        `the summary counts ${entry.events} event(s) of this stream, the file holds ${track.events}`,
        entry.stream,
      );
    }
    if (entry.startRevision !== track.startRevision.toString() || entry.startPrevHash !== track.startPrevHash) {
      checker.add({
        line,
        stream: entry.stream,
        kind: "start_mismatch",
        message: `the summary starts this stream at revision ${entry.startRevision}, the file at revision ${track.startRevision.toString()}${entry.startPrevHash === track.startPrevHash ? "" : " with another prevHash"}`,
      });
    }
    if (entry.headRevision !== track.headRevision.toString() || entry.headHash !== track.headHash) {
      checker.add({
        line,
        stream: entry.stream,
        kind: "head_mismatch",
        message: `the summary's head is revision ${entry.headRevision} (${entry.headHash.slice(0, 16)}...), the file ends the stream at revision ${track.headRevision.toString()} (${track.headHash.slice(0, 16)}...)`,
      });
    }
  }
  for (const stream of checker.tracks.keys()) {
    if (!listed.has(stream))
      mismatch("summary_mismatch", "the file has events of this stream, the summary does not list it", stream);
  }

  const position = checker.lastPosition ?? 0n;
  const expectedAnchor = full ? anchorLine({ position, digest: headsDigest(position, checker.heads()) }) : null;
  if (summary.anchor !== expectedAnchor) {
    mismatch(
      "summary_mismatch",
      `the summary's anchor ${summary.anchor ?? "null"} is not the lines' ${expectedAnchor ?? "null (a ranged export has none)"}`,
    );
  }
};

const checkAnchor = (
  checker: ChainChecker,
  anchor: ParsedAnchor | undefined,
  summary: Summary | undefined,
  full: boolean,
): AnchorCheck | undefined => {
  if (anchor === undefined) return undefined;
  const notCovered = (message: string): AnchorCheck => {
    checker.add({ kind: "anchor_not_covered", message });
    return {
      anchor: anchorLine(anchor),
      ok: false,
      digestMatches: undefined,
      headsChecked: undefined,
      changedStreams: [],
    };
  };
  if (summary === undefined)
    return notCovered("without a summary the export's range is unknown, so it cannot prove the anchor");
  if (!full) return notCovered("a ranged export cannot prove an anchor: export from the start (no from)");
  const to = summary.range.to === null ? undefined : BigInt(summary.range.to);
  if (to !== undefined && to < anchor.position) {
    return notCovered(
      `the export ends at position ${to.toString()}, before the anchor's position ${anchor.position.toString()}`,
    );
  }
  return checker.finishAnchor(true);
};
