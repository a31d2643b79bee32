import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventHash } from "@starledger/core";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  anchorDigest,
  anchorFileJson,
  anchorLine,
  formatVerifyReport,
  parseAnchor,
  verifyAgainstAnchor,
  verifyStore,
} from "../src/index.js";
import { newLedger, paymentIds, recordEveryEventType, scenarioNow } from "./support/ledger-scenario.js";

type Row = { position: number; stream: string; revision: number; type: string; data: string; metadata: string };

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "starledger-audit-"));
  path = join(dir, "ledger.db");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const populate = async (): Promise<void> => {
  const store = openSqliteEventStore({ path });
  await recordEveryEventType(newLedger(store));
  await store.close();
};

/** Opens the file underneath the store, as someone with disk access would. */
const underneath = <T>(change: (db: Database.Database) => T): T => {
  const db = new Database(path);
  try {
    return change(db);
  } finally {
    db.close();
  }
};

const withStore = async <T>(use: (store: ReturnType<typeof openSqliteEventStore>) => Promise<T>): Promise<T> => {
  const store = openSqliteEventStore({ path });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
};

const paidStream = `payment-${paymentIds.refunded}`;

/** The attacker's rewrite: change one old event and recompute the hashes of it and every later event of its stream. */
const rewriteConsistently = (
  db: Database.Database,
  stream: string,
  revision: number,
  edit: (data: Record<string, unknown>) => void,
): void => {
  const rows = db
    .prepare<[string], Row>(
      "SELECT position, stream, revision, type, data, metadata FROM events WHERE stream = ? ORDER BY revision",
    )
    .all(stream);
  const update = db.prepare<[string, string, number]>("UPDATE events SET data = ?, metadata = ? WHERE position = ?");
  let prevHash: string | undefined;
  for (const row of rows) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    if (row.revision === revision) edit(data);
    if (row.revision < revision) {
      prevHash = String(metadata.hash);
      continue;
    }
    const previous = prevHash ?? String(metadata.prevHash);
    const hash = eventHash({
      stream: row.stream,
      revision: BigInt(row.revision),
      type: row.type,
      data,
      prevHash: previous,
    });
    update.run(JSON.stringify(data), JSON.stringify({ ...metadata, prevHash: previous, hash }), row.position);
    prevHash = hash;
  }
};

describe("verifyStore over an SQLite file", () => {
  it("reports an edit made directly in the file as the first broken event, with its stream, revision and position", async () => {
    await populate();
    const target = underneath((db) =>
      db
        .prepare<[], Row>(
          "SELECT position, stream, revision, type, data, metadata FROM events WHERE type = 'PaymentPaid' ORDER BY position LIMIT 1",
        )
        .get(),
    );
    if (target === undefined) throw new Error("no PaymentPaid row");
    underneath((db) => {
      const data = JSON.parse(target.data) as Record<string, unknown>;
      db.prepare("UPDATE events SET data = ? WHERE position = ?").run(
        JSON.stringify({ ...data, credits: 999_999 }),
        target.position,
      );
    });

    const report = await withStore((store) => verifyStore(store));

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({
      kind: "hash_mismatch",
      stream: target.stream,
      revision: BigInt(target.revision),
      position: BigInt(target.position),
    });
    expect(formatVerifyReport(report)).toContain(
      `hash_mismatch at ${target.stream}, revision ${target.revision}, position ${target.position}`,
    );
  });

  const streamRows = (stream: string): Row[] =>
    underneath((db) =>
      db
        .prepare<[string], Row>(
          "SELECT position, stream, revision, type, data, metadata FROM events WHERE stream = ? ORDER BY revision",
        )
        .all(stream),
    );

  it("catches an event deleted from the middle of a stream", async () => {
    await populate();
    const rows = streamRows(paidStream);
    expect(rows.length).toBeGreaterThan(2);
    underneath((db) => db.prepare("DELETE FROM events WHERE stream = ? AND revision = 1").run(paidStream));

    const report = await withStore((store) => verifyStore(store));

    expect(report.ok).toBe(false);
    expect(report.firstBreak?.stream).toBe(paidStream);
  });

  it("catches an event inserted into the middle of a stream, the later revisions shifted to make room", async () => {
    await populate();
    const [first] = streamRows(paidStream);
    if (first === undefined) throw new Error("empty stream");
    underneath((db) => {
      db.prepare("UPDATE events SET revision = revision + 1000 WHERE stream = ? AND revision >= 1").run(paidStream);
      db.prepare("UPDATE events SET revision = revision - 999 WHERE stream = ? AND revision >= 1000").run(paidStream);
      // A forged copy of the first event, chained to it correctly, at the freed revision 1.
      const metadata = JSON.parse(first.metadata) as Record<string, unknown>;
      const data = JSON.parse(first.data) as Record<string, unknown>;
      const hash = eventHash({
        stream: paidStream,
        revision: 1n,
        type: first.type,
        data,
        prevHash: String(metadata.hash),
      });
      db.prepare(
        "INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
      ).run(
        crypto.randomUUID(),
        paidStream,
        first.type,
        first.data,
        JSON.stringify({ ...metadata, prevHash: metadata.hash, hash }),
        Date.now(),
      );
    });

    const report = await withStore((store) => verifyStore(store));

    expect(report.ok).toBe(false);
    expect(report.firstBreak?.stream).toBe(paidStream);
  });

  it("catches two events of a stream swapped in place", async () => {
    await populate();
    const [first, second] = streamRows(paidStream);
    if (first === undefined || second === undefined) throw new Error("stream too short");
    underneath((db) => {
      const swap = db.prepare("UPDATE events SET type = ?, data = ?, metadata = ? WHERE position = ?");
      swap.run(second.type, second.data, second.metadata, first.position);
      swap.run(first.type, first.data, first.metadata, second.position);
    });

    const report = await withStore((store) => verifyStore(store));

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ stream: paidStream, revision: 0n });
  });

  it("does not catch a deleted stream tail by itself (a shorter chain is still a chain): the anchor does, below", async () => {
    await populate();
    underneath((db) =>
      db
        .prepare("DELETE FROM events WHERE position = (SELECT MAX(position) FROM events WHERE stream = ?)")
        .run(paidStream),
    );
    const report = await withStore((store) => verifyStore(store));
    expect(report.ok).toBe(true);
  });
});

describe("anchors", () => {
  it("still verify after more events are appended", async () => {
    await populate();
    const anchor = (await withStore((store) => anchorDigest(store)))._unsafeUnwrap();
    const parsed = parseAnchor({ line: anchorLine(anchor), file: anchorFileJson(anchor, scenarioNow) })._unsafeUnwrap();

    await withStore(async (store) => {
      const ledger = newLedger(store);
      const now = scenarioNow;
      (
        await ledger.adjustCredits({ userId: 1001, delta: -5, reason: "correction", admin: "ops", now })
      )._unsafeUnwrap();
      const id = "44444444-4444-4444-8444-444444444444";
      (await ledger.createPayment({ paymentId: id, userId: 1005, packageId: "pkg_100", now }))._unsafeUnwrap();
      (await ledger.refundPayment(paymentIds.paid, "ops", now))._unsafeUnwrap();
    });

    const report = await withStore((store) => verifyAgainstAnchor(store, parsed));
    expect(report.ok).toBe(true);
    expect(report.anchorCheck).toMatchObject({
      ok: true,
      digestMatches: true,
      headsChecked: anchor.streams,
      changedStreams: [],
    });
    expect(report.lastPosition).toBeGreaterThan(anchor.position);
  });

  it("catch an old event rewritten with a consistently recomputed chain that verifyStore alone accepts, naming the stream", async () => {
    await populate();
    const anchor = (await withStore((store) => anchorDigest(store)))._unsafeUnwrap();
    underneath((db) => {
      rewriteConsistently(db, paidStream, 3, (data) => {
        data.credits = 1_000_000;
      });
    });

    const alone = await withStore((store) => verifyStore(store));
    expect(alone.ok).toBe(true);

    const withFile = parseAnchor({
      line: anchorLine(anchor),
      file: anchorFileJson(anchor, scenarioNow),
    })._unsafeUnwrap();
    const report = await withStore((store) => verifyAgainstAnchor(store, withFile));
    expect(report.ok).toBe(false);
    expect(report.anchorCheck?.changedStreams).toEqual([paidStream]);
    expect(report.problems.map((p) => p.kind)).toEqual(["anchor_head_mismatch", "anchor_digest_mismatch"]);
    expect(report.firstBreak).toMatchObject({ kind: "anchor_head_mismatch", stream: paidStream });
    expect(formatVerifyReport(report)).toContain(`FAILS, changed: ${paidStream}`);
  });

  it("caught by the one-line anchor alone, which cannot say which stream changed", async () => {
    await populate();
    const anchor = (await withStore((store) => anchorDigest(store)))._unsafeUnwrap();
    underneath((db) => {
      rewriteConsistently(db, paidStream, 0, (data) => {
        data.starsAmount = 1;
      });
    });

    const report = await withStore((store) =>
      verifyStore(store, { anchor: parseAnchor({ line: anchorLine(anchor) })._unsafeUnwrap() }),
    );

    expect(report.ok).toBe(false);
    expect(report.firstBreak?.kind).toBe("anchor_digest_mismatch");
    expect(report.firstBreak?.message).toContain("pass the anchor file");
    expect(report.anchorCheck).toMatchObject({ ok: false, digestMatches: false, headsChecked: undefined });
  });

  it("catch a stream whose anchored tail was deleted", async () => {
    await populate();
    const anchor = (await withStore((store) => anchorDigest(store)))._unsafeUnwrap();
    underneath((db) =>
      db
        .prepare(
          "DELETE FROM events WHERE stream = ? AND revision = (SELECT MAX(revision) FROM events WHERE stream = ?)",
        )
        .run(paidStream, paidStream),
    );

    const parsed = parseAnchor({ file: anchorFileJson(anchor, scenarioNow) })._unsafeUnwrap();
    const report = await withStore((store) => verifyAgainstAnchor(store, parsed));

    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: "anchor_head_missing", stream: paidStream }),
    );
  });
});
