import { InMemoryEventStore } from "@starledger/core";
import { describe, expect, it } from "vitest";
import { anchorDigest, anchorFileJson, anchorLine, headsDigest, parseAnchor } from "../src/index.js";
import { newLedger, recordEveryEventType, scenarioNow } from "./support/ledger-scenario.js";

const takeAnchor = async () => {
  const store = new InMemoryEventStore();
  await recordEveryEventType(newLedger(store));
  return (await anchorDigest(store))._unsafeUnwrap();
};

describe("anchors", () => {
  it("digest the sorted stream heads with the position, and fit on one line", async () => {
    const anchor = await takeAnchor();
    expect(anchor.heads.map((h) => h.stream)).toEqual([...anchor.heads.map((h) => h.stream)].sort());
    expect(anchor.digest).toBe(headsDigest(anchor.position, [...anchor.heads].reverse()));
    expect(anchorLine(anchor)).toMatch(/^sl-anchor-v1:\d+:[0-9a-f]{64}$/);
    expect(anchor.events).toBe(anchor.heads.reduce((sum, h) => sum + Number(h.revision) + 1, 0));
  });

  it("of an empty store is position 0", async () => {
    const anchor = (await anchorDigest(new InMemoryEventStore()))._unsafeUnwrap();
    expect(anchor).toMatchObject({ position: 0n, streams: 0, events: 0, heads: [] });
  });

  it("parse back from the line, from the file, or from both", async () => {
    const anchor = await takeAnchor();
    const line = anchorLine(anchor);
    const file = anchorFileJson(anchor, scenarioNow);
    expect(parseAnchor({ line })._unsafeUnwrap()).toEqual({
      position: anchor.position,
      digest: anchor.digest,
      heads: undefined,
    });
    expect(parseAnchor({ file })._unsafeUnwrap()).toEqual({
      position: anchor.position,
      digest: anchor.digest,
      heads: anchor.heads,
    });
    expect(parseAnchor({ line: `  ${line}\n`, file })._unsafeUnwrap().heads).toEqual(anchor.heads);
  });

  it("refuse a heads file edited to match a rewritten store", async () => {
    const anchor = await takeAnchor();
    const file = JSON.parse(anchorFileJson(anchor, scenarioNow)) as { heads: { hash: string }[] };
    const first = file.heads[0];
    if (first !== undefined) first.hash = "a".repeat(64);
    expect(parseAnchor({ file: JSON.stringify(file) })._unsafeUnwrapErr().message).toContain(
      "do not hash to its digest",
    );
  });

  it("refuse a line and a file that describe different anchors", async () => {
    const anchor = await takeAnchor();
    const other = anchorLine({ position: anchor.position, digest: "b".repeat(64) });
    expect(parseAnchor({ line: other, file: anchorFileJson(anchor, scenarioNow) }).isErr()).toBe(true);
  });

  it("refuse text that is not an anchor", () => {
    expect(parseAnchor({ line: "sl-anchor-v1:12:xyz" }).isErr()).toBe(true);
    expect(parseAnchor({ file: "{}" }).isErr()).toBe(true);
    expect(parseAnchor({}).isErr()).toBe(true);
  });
});
