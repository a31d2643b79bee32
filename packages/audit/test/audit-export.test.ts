import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { eventHash } from "@starledger/core";
import { describe, expect, it } from "vitest";
import { anchorDigest, anchorLine, exportAudit, formatVerifyReport, verifyExport } from "../src/index.js";
import {
  exportLines,
  indexOf,
  kinds,
  ledgerStore,
  parse,
  refundedStream,
  type Line,
} from "./support/export-scenario.js";
import { readAllEvents } from "./support/ledger-scenario.js";

describe("exportAudit", () => {
  it("writes one line per event in global order, then a summary with heads, counts and the digest of the lines", async () => {
    const store = await ledgerStore();
    const events = await readAllEvents(store);
    const lines = await exportLines(store);

    expect(lines).toHaveLength(events.length + 1);
    const first = parse(lines[0]);
    expect(first).toMatchObject({ position: "1", revision: "0", stream: events[0]?.stream, type: events[0]?.type });
    expect(Object.keys(first)).toEqual([
      "position",
      "stream",
      "revision",
      "type",
      "data",
      "metadata",
      "recordedAt",
      "id",
    ]);

    const { summary } = JSON.parse(lines.at(-1) ?? "") as {
      summary: {
        events: number;
        digest: string;
        anchor: string;
        streams: { stream: string; events: number; headHash: string }[];
      };
    };
    expect(summary.events).toBe(events.length);
    expect(summary.digest).toBe(
      createHash("sha256")
        .update(
          lines
            .slice(0, -1)
            .map((l) => `${l}\n`)
            .join(""),
        )
        .digest("hex"),
    );
    const anchor = (await anchorDigest(store))._unsafeUnwrap();
    expect(summary.anchor).toBe(anchorLine(anchor));
    const refunded = summary.streams.find((s) => s.stream === refundedStream);
    expect(refunded).toMatchObject({
      events: 8,
      headHash: events.filter((e) => e.stream === refundedStream).at(-1)?.metadata.hash,
    });
  });

  it("round-trips: an untouched export verifies offline", async () => {
    const lines = await exportLines(await ledgerStore());
    const report = await verifyExport(lines);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(formatVerifyReport(report).split("\n").at(-1)).toBe(
      "OK: every hash chain is intact and the summary matches",
    );
  });

  it("verifies a file read line by line, and tolerates CRLF line ends", async () => {
    const store = await ledgerStore();
    const dir = mkdtempSync(join(tmpdir(), "starledger-export-"));
    try {
      const file = join(dir, "audit.ndjson");
      const lines = await exportLines(store);
      writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
      const fromFile = await verifyExport(createInterface({ input: createReadStream(file), crlfDelay: Infinity }));
      expect(fromFile.ok).toBe(true);
      expect((await verifyExport(lines.map((l) => `${l}\r`))).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exports a range whose streams start mid-chain, and the range verifies from the trusted starts", async () => {
    const store = await ledgerStore();
    const lines = await exportLines(store, { from: 4n, to: 12n });
    const events = lines.slice(0, -1).map(parse);
    expect(events.map((e) => e.position)).toEqual(["4", "5", "6", "7", "8", "9", "10", "11", "12"]);
    const { summary } = JSON.parse(lines.at(-1) ?? "") as {
      summary: {
        range: unknown;
        anchor: unknown;
        streams: { stream: string; startRevision: string; startPrevHash: string }[];
      };
    };
    expect(summary.range).toEqual({ from: "4", to: "12" });
    expect(summary.anchor).toBeNull();
    expect(summary.streams.find((s) => s.stream === refundedStream)).toMatchObject({
      startRevision: "3",
      startPrevHash: events[0]?.metadata.prevHash,
    });

    const report = await verifyExport(lines);
    expect(report.ok).toBe(true);
    expect(report.anchor).toBeUndefined();
    expect(report.range).toEqual({ from: 4n, to: 12n });
  });

  it("refuses a range that ends before it starts", async () => {
    const result = await exportAudit(await ledgerStore(), { from: 10n, to: 3n }, () => undefined);
    expect(result._unsafeUnwrapErr().type).toBe("InvalidRange");
  });
});

describe("verifyExport catches", () => {
  it("an edited event", async () => {
    const lines = await exportLines(await ledgerStore());
    const at = indexOf(lines, refundedStream, 3);
    const event = parse(lines[at]);
    lines[at] = JSON.stringify({ ...event, data: { ...event.data, credits: 5000 } });

    const report = await verifyExport(lines);

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({
      kind: "hash_mismatch",
      line: at + 1,
      stream: refundedStream,
      revision: 3n,
      position: BigInt(event.position),
    });
    expect(report.problems.map((p) => p.kind)).toEqual(["hash_mismatch", "digest_mismatch"]);
  });

  it("a deleted event", async () => {
    const lines = await exportLines(await ledgerStore());
    const at = indexOf(lines, refundedStream, 2);
    lines.splice(at, 1);

    const report = await verifyExport(lines);

    expect(report.firstBreak).toMatchObject({ kind: "revision_gap", stream: refundedStream, revision: 3n });
    expect(report.problems.map((p) => p.kind)).toEqual(
      expect.arrayContaining(["revision_gap", "prev_hash_mismatch", "count_mismatch", "digest_mismatch"]),
    );
  });

  it("an inserted event, even one whose hash chain is valid", async () => {
    const lines = await exportLines(await ledgerStore());
    const events = lines.slice(0, -1).map(parse);
    const last = events.filter((e) => e.stream === refundedStream).at(-1) as Line;
    const revision = BigInt(last.revision) + 1n;
    const data = { ...last.data, note: "forged" };
    const prevHash = String(last.metadata.hash);
    const forged = {
      ...last,
      position: String(BigInt(events.at(-1)?.position ?? "0") + 1n),
      revision: revision.toString(),
      data,
      metadata: {
        ...last.metadata,
        prevHash,
        hash: eventHash({ stream: last.stream, revision, type: last.type, data, prevHash }),
      },
      id: "99999999-9999-4999-8999-999999999999",
    };
    lines.splice(lines.length - 1, 0, JSON.stringify(forged));

    const report = await verifyExport(lines);

    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(
      expect.arrayContaining(["count_mismatch", "digest_mismatch", "head_mismatch", "summary_mismatch"]),
    );
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "head_mismatch", stream: refundedStream }));
  });

  it("a copied event inserted in the middle", async () => {
    const lines = await exportLines(await ledgerStore());
    lines.splice(5, 0, lines[2] ?? "");
    expect(await kinds(lines)).toEqual(
      expect.arrayContaining(["position_order", "revision_order", "prev_hash_mismatch", "digest_mismatch"]),
    );
  });

  it("reordered events", async () => {
    const lines = await exportLines(await ledgerStore());
    const [a, b] = [lines[3] ?? "", lines[4] ?? ""];
    lines[3] = b;
    lines[4] = a;

    const report = await verifyExport(lines);

    expect(report.firstBreak).toMatchObject({ line: 4 });
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "position_order", line: 5 }));
    expect(report.problems.map((p) => p.kind)).toEqual(
      expect.arrayContaining(["revision_gap", "revision_order", "digest_mismatch"]),
    );
  });

  it("a truncated stream tail", async () => {
    const lines = await exportLines(await ledgerStore());
    const events = lines.slice(0, -1).map(parse);
    const lastOfStream = events.filter((e) => e.stream === refundedStream).at(-1) as Line;
    expect(lastOfStream.position).not.toBe(events.at(-1)?.position);
    lines.splice(indexOf(lines, refundedStream, Number(lastOfStream.revision)), 1);

    const report = await verifyExport(lines);

    expect(report.ok).toBe(false);
    expect(report.problems.filter((p) => p.stream === refundedStream).map((p) => p.kind)).toEqual([
      "count_mismatch",
      "head_mismatch",
    ]);
    expect(report.problems.map((p) => p.kind)).toContain("digest_mismatch");
    expect(report.problems.map((p) => p.kind)).not.toContain("hash_mismatch");
  });

  it("a truncated file (the summary cut off)", async () => {
    const lines = await exportLines(await ledgerStore());
    expect(await kinds(lines.slice(0, -3))).toEqual(["summary_missing"]);
  });

  it("an edited summary count", async () => {
    const lines = await exportLines(await ledgerStore());
    const { summary } = JSON.parse(lines.at(-1) ?? "") as { summary: { events: number } };
    lines[lines.length - 1] = JSON.stringify({ summary: { ...summary, events: summary.events - 1 } });
    expect(await kinds(lines)).toEqual(["count_mismatch"]);
  });

  it("an edited summary head hash", async () => {
    const lines = await exportLines(await ledgerStore());
    const { summary } = JSON.parse(lines.at(-1) ?? "") as {
      summary: { streams: { stream: string; headHash: string }[] };
    };
    const streams = summary.streams.map((s) => (s.stream === refundedStream ? { ...s, headHash: "0".repeat(64) } : s));
    lines[lines.length - 1] = JSON.stringify({ summary: { ...summary, streams } });

    const report = await verifyExport(lines);

    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "head_mismatch", stream: refundedStream, line: lines.length }),
    ]);
  });

  it("an edited summary digest", async () => {
    const lines = await exportLines(await ledgerStore());
    const { summary } = JSON.parse(lines.at(-1) ?? "") as { summary: { digest: string } };
    lines[lines.length - 1] = JSON.stringify({ summary: { ...summary, digest: "f".repeat(64) } });
    expect(await kinds(lines)).toEqual(["digest_mismatch"]);
  });

  it("a removed summary", async () => {
    const lines = await exportLines(await ledgerStore());
    expect(await kinds(lines.slice(0, -1))).toEqual(["summary_missing"]);
  });

  it("a malformed summary", async () => {
    const lines = await exportLines(await ledgerStore());
    lines[lines.length - 1] = JSON.stringify({ summary: { events: 3 } });
    expect(await kinds(lines)).toEqual(["summary_malformed"]);
  });

  it("trailing garbage after the summary, but not a final empty line", async () => {
    const lines = await exportLines(await ledgerStore());
    expect((await verifyExport([...lines, ""])).ok).toBe(true);
    const report = await verifyExport([...lines, "", "rm -rf /"]);
    expect(report.problems).toEqual([expect.objectContaining({ kind: "trailing_data", line: lines.length + 2 })]);
  });

  it("a line that is not an event", async () => {
    const lines = await exportLines(await ledgerStore());
    lines.splice(2, 0, "not json");
    expect(await kinds(lines)).toEqual(expect.arrayContaining(["malformed_line", "digest_mismatch"]));
  });

  it("a deleted first event of a stream in a full export", async () => {
    const lines = await exportLines(await ledgerStore());
    lines.splice(indexOf(lines, refundedStream, 0), 1);
    const report = await verifyExport(lines);
    expect(report.firstBreak).toMatchObject({ kind: "revision_gap", stream: refundedStream, revision: 1n, line: 1 });
  });

  it("an event moved out of a ranged export's declared range", async () => {
    const store = await ledgerStore();
    const lines = await exportLines(store, { from: 4n, to: 12n });
    const { summary } = JSON.parse(lines.at(-1) ?? "") as { summary: Record<string, unknown> };
    lines[lines.length - 1] = JSON.stringify({ summary: { ...summary, range: { from: "5", to: "12" } } });
    expect(await kinds(lines)).toEqual(["out_of_range"]);
  });
});
