import {
  eventHash,
  genesisHash,
  InMemoryEventStore,
  StoreUnavailableError,
  type RecordedEvent,
} from "@starledger/core";
import { describe, expect, it } from "vitest";
import { anchorDigest, anchorLine, formatVerifyReport, verifyReportJson, verifyStore } from "../src/index.js";
import {
  copyStore,
  everyEventType,
  newLedger,
  readAllEvents,
  recordEveryEventType,
  withReadAll,
} from "./support/ledger-scenario.js";

const storeWithEveryEventType = async (): Promise<InMemoryEventStore> => {
  const store = new InMemoryEventStore();
  await recordEveryEventType(newLedger(store));
  return store;
};

describe("verifyStore", () => {
  it("finds every chain intact in a ledger that holds every event type", async () => {
    const store = await storeWithEveryEventType();
    const events = await readAllEvents(store);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(everyEventType));

    const report = await verifyStore(store);

    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.events).toBe(events.length);
    expect(report.streams).toBe(new Set(events.map((e) => e.stream)).size);
    expect(report.lastPosition).toBe(events.at(-1)?.position);
    expect(formatVerifyReport(report).split("\n").at(-1)).toBe("OK: every hash chain is intact");
  });

  it("recomputes the documented hash: SHA-256 over [stream, revision, type, data, prevHash], genesis first", async () => {
    const events = await readAllEvents(await storeWithEveryEventType());
    const first = events[0] as RecordedEvent;
    expect(first.metadata.prevHash).toBe(genesisHash);
    expect(first.metadata.hash).toBe(
      eventHash({ stream: first.stream, revision: 0n, type: first.type, data: first.data, prevHash: genesisHash }),
    );
  });

  it.each(everyEventType)("catches an edited %s event", async (type) => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === type) as RecordedEvent;
    const tampered = await copyStore(store, (e) =>
      e.id === target.id ? { ...e, data: { ...e.data, tampered: true } } : e,
    );

    const report = await verifyStore(tampered);

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({
      kind: "hash_mismatch",
      stream: target.stream,
      revision: target.revision,
      position: target.position,
    });
    expect(report.problemCount).toBe(1);
  });

  it.each(everyEventType)("catches a %s event whose type was changed", async (type) => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === type) as RecordedEvent;
    const tampered = await copyStore(store, (e) => (e.id === target.id ? { ...e, type: `${e.type}X` } : e));

    expect((await verifyStore(tampered)).firstBreak).toMatchObject({
      kind: "hash_mismatch",
      stream: target.stream,
      revision: target.revision,
    });
  });

  it("names a recomputed hash that no longer links to the next event a prevHash mismatch on the next event", async () => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === "PaymentPaid") as RecordedEvent;
    const tampered = await copyStore(store, (e) => {
      if (e.id !== target.id) return e;
      const data = { ...e.data, credits: 1_000_000 };
      const prevHash = String(e.metadata.prevHash);
      return {
        ...e,
        data,
        metadata: {
          ...e.metadata,
          hash: eventHash({ stream: e.stream, revision: e.revision, type: e.type, data, prevHash }),
        },
      };
    });

    const report = await verifyStore(tampered);

    expect(report.firstBreak).toMatchObject({
      kind: "prev_hash_mismatch",
      stream: target.stream,
      revision: target.revision + 1n,
    });
  });

  it("catches a deleted event", async () => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === "PreCheckoutApproved") as RecordedEvent;
    const tampered = await copyStore(store, (e) => (e.id === target.id ? undefined : e));

    const report = await verifyStore(tampered);

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ stream: target.stream, revision: target.revision });
    expect(report.problems.map((p) => p.kind)).toContain("prev_hash_mismatch");
  });

  it("catches an event without its hash metadata", async () => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === "CreditsAdjusted") as RecordedEvent;
    const tampered = await copyStore(store, (e) => (e.id === target.id ? { ...e, metadata: { schemaVersion: 1 } } : e));

    expect((await verifyStore(tampered)).firstBreak).toMatchObject({
      kind: "missing_metadata",
      stream: target.stream,
      position: target.position,
    });
  });

  it("reports a stream that does not start at revision 0 as a revision gap", async () => {
    const store = await storeWithEveryEventType();
    const events = await readAllEvents(store);
    const fake = withReadAll(store, async function* () {
      for (const event of events) if (!(event.stream === events[0]?.stream && event.revision === 0n)) yield event;
      await Promise.resolve();
    });
    const report = await verifyStore(fake);
    expect(report.firstBreak).toMatchObject({ kind: "revision_gap", stream: events[0]?.stream, revision: 1n });
  });

  it("reports a store that fails mid-read as unreadable, not as intact", async () => {
    const store = await storeWithEveryEventType();
    const events = await readAllEvents(store);
    const failing = withReadAll(store, async function* () {
      yield events[0] as RecordedEvent;
      await Promise.resolve();
      throw new StoreUnavailableError("disk on fire");
    });
    const report = await verifyStore(failing);
    expect(report.ok).toBe(false);
    expect(report.firstBreak?.kind).toBe("store_unreadable");
    expect(report.firstBreak?.message).toContain("disk on fire");
  });

  it("returns the same heads digest as anchorDigest", async () => {
    const store = await storeWithEveryEventType();
    const report = await verifyStore(store);
    const anchor = (await anchorDigest(store))._unsafeUnwrap();
    expect(report.anchor.digest).toBe(anchor.digest);
    expect(anchor.position).toBe(report.lastPosition);
    expect(anchor.events).toBe(report.events);
    expect(anchor.streams).toBe(report.streams);
    expect(formatVerifyReport(report)).toContain(`Anchor: ${anchorLine(anchor)}`);
  });

  it("prints a broken report with the first break last, and a JSON form without bigints", async () => {
    const store = await storeWithEveryEventType();
    const target = (await readAllEvents(store)).find((e) => e.type === "PaymentPaid") as RecordedEvent;
    const tampered = await copyStore(store, (e) =>
      e.id === target.id ? { ...e, data: { ...e.data, totalAmount: 1 } } : e,
    );
    const report = await verifyStore(tampered);

    const text = formatVerifyReport(report);
    expect(text.split("\n").at(-1)).toBe(
      `BROKEN: 1 problem; first: hash_mismatch at ${target.stream}, revision ${target.revision.toString()}, position ${target.position.toString()}: ${report.firstBreak?.message ?? ""}`,
    );
    const json = JSON.parse(JSON.stringify(verifyReportJson(report))) as {
      ok: boolean;
      firstBreak: { position: string; revision: string };
    };
    expect(json.ok).toBe(false);
    expect(json.firstBreak.position).toBe(target.position.toString());
    expect(json.firstBreak.revision).toBe(target.revision.toString());
  });

  it("verifies an empty store", async () => {
    const report = await verifyStore(new InMemoryEventStore());
    expect(report).toMatchObject({ ok: true, events: 0, streams: 0, lastPosition: 0n });
  });
});
