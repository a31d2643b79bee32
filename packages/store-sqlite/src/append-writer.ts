import assert from "node:assert/strict";
import type { Database, Statement } from "better-sqlite3";
import { z } from "zod";
import {
  classifyAppendIds,
  revisionMatches,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type StoreError,
} from "@starledger/core";
import { isDataError, sqliteStoreError } from "./sqlite-errors.js";

/** An event's data and metadata as the JSON text SQLite stores. */
export type EventText = { readonly data: string; readonly metadata: string };

/** One appendToStream call waiting for its group commit. */
export type PendingAppend = {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  /** texts[i] is events[i] serialised, done before queueing so a bad event fails only its own caller. */
  readonly texts: readonly EventText[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: AppendOutcome) => void;
};

export type AppendOutcome =
  | { readonly ok: true; readonly value: AppendResult; readonly wrote: boolean }
  | { readonly ok: false; readonly error: StoreError };

/**
 * Thrown out of a batch transaction when SQLite refused one append's data (a constraint, a size or type error):
 * the batch is rolled back and redone without it.
 */
export class AppendRefusedByDatabase extends Error {
  override readonly name = "AppendRefusedByDatabase";
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(`SQLite refused append ${index} of the batch`, { cause });
  }
}

const IdHit = z.object({ stream: z.string(), revision: z.bigint().nonnegative(), position: z.bigint().positive() });
type IdHit = z.infer<typeof IdHit>;

/** The prepared statements of the write path; integers come back as bigint. */
export class AppendWriter {
  private readonly findById: Statement<[string]>;
  private readonly lastRevision: Statement<[string], bigint | null>;
  private readonly insert: Statement<[string, string, bigint, string, string, string, number]>;
  private readonly head: Statement<[], bigint>;
  /** Runs a whole batch in one BEGIN IMMEDIATE transaction: one fsync for all of it. */
  readonly writeBatch: (batch: readonly PendingAppend[], recordedAtMs: number) => AppendOutcome[];

  constructor(db: Database) {
    this.findById = db
      .prepare<[string]>("SELECT stream, revision, position FROM events WHERE id = ?")
      .safeIntegers(true);
    this.lastRevision = db
      .prepare<[string], bigint | null>("SELECT MAX(revision) FROM events WHERE stream = ?")
      .pluck()
      .safeIntegers(true);
    this.insert = db
      .prepare<[string, string, bigint, string, string, string, number]>(
        "INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .safeIntegers(true);
    this.head = db.prepare<[], bigint>("SELECT COALESCE(MAX(position), 0) FROM events").pluck().safeIntegers(true);
    const transaction = db.transaction((batch: readonly PendingAppend[], recordedAtMs: number) =>
      batch.map((append, index) => {
        try {
          return this.writeAppend(append, recordedAtMs);
        } catch (error) {
          if (isDataError(error)) throw new AppendRefusedByDatabase(index, error);
          throw error;
        }
      }),
    );
    this.writeBatch = (batch, recordedAtMs) => transaction.immediate(batch, recordedAtMs);
  }

  headPosition(): bigint {
    return this.head.get() ?? 0n;
  }

  /** The stream's last revision; undefined when it has no events. */
  streamRevision(stream: string): bigint | undefined {
    return this.lastRevision.get(stream) ?? undefined;
  }

  /** Check-before-write under the batch's write lock, so a rejected append writes nothing. */
  private writeAppend(append: PendingAppend, recordedAtMs: number): AppendOutcome {
    const { stream, events, texts, expectedRevision } = append;
    const hits = new Map<string, IdHit>();
    const replay = classifyAppendIds(
      events,
      (id) => {
        const row = this.findById.get(id);
        if (row === undefined) return undefined;
        const hit = IdHit.parse(row);
        hits.set(id, hit);
        return hit;
      },
      stream,
    );
    if (replay.kind === "conflict")
      return { ok: false, error: { type: "DuplicateEventId", stream, eventId: replay.eventId } };
    if (replay.kind === "replay") {
      const last = hits.get(events[events.length - 1]?.id ?? "");
      assert(last !== undefined, "a replayed append has its last event");
      return {
        ok: true,
        value: { nextRevision: last.revision, position: last.position, alreadyRecorded: true },
        wrote: false,
      };
    }
    const actual = this.lastRevision.get(stream) ?? undefined;
    if (!revisionMatches(expectedRevision, actual)) {
      return {
        ok: false,
        error: { type: "ConcurrencyError", stream, expected: expectedRevision, actual: actual ?? "no_stream" },
      };
    }
    if (events.length === 0)
      return { ok: true, value: { nextRevision: actual ?? -1n, position: this.headPosition() }, wrote: false };
    let revision = actual ?? -1n;
    let position = 0n;
    for (const [index, event] of events.entries()) {
      const text = texts[index];
      assert(text !== undefined, "every event has its text");
      revision++;
      const inserted = this.insert.run(event.id, stream, revision, event.type, text.data, text.metadata, recordedAtMs);
      position = BigInt(inserted.lastInsertRowid);
    }
    return { ok: true, value: { nextRevision: revision, position }, wrote: true };
  }
}

/** A unique violation is a lost race (stream, revision) or a reused id; any other refusal is a final data error. */
export const refusedOutcome = (append: PendingAppend, cause: unknown): AppendOutcome => {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (message.includes("events.stream, events.revision")) {
    return { ok: false, error: { type: "ConcurrencyError", stream: append.stream, expected: append.expectedRevision } };
  }
  if (message.includes("events.id")) {
    return {
      ok: false,
      error: { type: "DuplicateEventId", stream: append.stream, eventId: append.events[0]?.id ?? "" },
    };
  }
  return { ok: false, error: sqliteStoreError("append", append.stream, cause) };
};
