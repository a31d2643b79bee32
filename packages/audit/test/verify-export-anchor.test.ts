import { eventHash, InMemoryEventStore } from "@starledger/core";
import { describe, expect, it } from "vitest";
import { anchorDigest, anchorFileJson, anchorLine, parseAnchor, verifyExport } from "../src/index.js";
import { exportLines, ledgerStore, parse, refundedStream, type Line } from "./support/export-scenario.js";
import { copyStore, newLedger, scenarioNow } from "./support/ledger-scenario.js";

describe("verifyExport against an anchor", () => {
  it("holds for a full export of an untouched store", async () => {
    const store = await ledgerStore();
    const anchor = (await anchorDigest(store))._unsafeUnwrap();
    (
      await newLedger(store).adjustCredits({ userId: 7, delta: 3, reason: "later", admin: "ops", now: scenarioNow })
    )._unsafeUnwrap();
    const parsed = parseAnchor({ file: anchorFileJson(anchor, scenarioNow) })._unsafeUnwrap();

    const report = await verifyExport(await exportLines(store), { anchor: parsed });

    expect(report.ok).toBe(true);
    expect(report.anchorCheck).toMatchObject({ ok: true, digestMatches: true });
  });

  it("fails for a consistently rewritten export, naming the stream", async () => {
    const store = await ledgerStore();
    const anchor = (await anchorDigest(store))._unsafeUnwrap();
    const rewritten = await copyStore(store, (e) => e);
    const lines = await exportLines(rewritten);
    // The attacker rewrites the refunded payment's creation and re-hashes its whole chain, then re-exports.
    let prevHash = "";
    for (let i = 0; i < lines.length - 1; i++) {
      const event = parse(lines[i]);
      if (event.stream !== refundedStream) continue;
      const data = event.revision === "0" ? { ...event.data, credits: 1 } : event.data;
      const previous = event.revision === "0" ? String(event.metadata.prevHash) : prevHash;
      prevHash = eventHash({
        stream: event.stream,
        revision: BigInt(event.revision),
        type: event.type,
        data,
        prevHash: previous,
      });
      lines[i] = JSON.stringify({
        ...event,
        data,
        metadata: { ...event.metadata, prevHash: previous, hash: prevHash },
      });
    }
    const forgedStore = new InMemoryEventStore();
    for (const line of lines.slice(0, -1)) {
      const e = parse(line) as Line & { id: string };
      (
        await forgedStore.appendToStream(
          e.stream,
          [{ id: e.id, type: e.type, data: e.data, metadata: { schemaVersion: 1, ...e.metadata } }],
          "any",
        )
      )._unsafeUnwrap();
    }
    const forgedExport = await exportLines(forgedStore);
    expect((await verifyExport(forgedExport)).ok).toBe(true);

    const parsed = parseAnchor({ line: anchorLine(anchor), file: anchorFileJson(anchor, scenarioNow) })._unsafeUnwrap();
    const report = await verifyExport(forgedExport, { anchor: parsed });

    expect(report.ok).toBe(false);
    expect(report.anchorCheck?.changedStreams).toEqual([refundedStream]);
  });

  it("cannot be proven by a ranged export", async () => {
    const store = await ledgerStore();
    const anchor = parseAnchor({ line: anchorLine((await anchorDigest(store))._unsafeUnwrap()) })._unsafeUnwrap();
    const report = await verifyExport(await exportLines(store, { from: 3n }), { anchor });
    expect(report.problems.map((p) => p.kind)).toEqual(["anchor_not_covered"]);
  });
});
