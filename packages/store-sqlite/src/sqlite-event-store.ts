import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import {
  AppendNotifier,
  checkStorable,
  isWellFormedText,
  runSubscription,
  storeUnavailable,
  StoreUnavailableError,
  type AppendResult,
  type EventHandler,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoreError,
  type StreamRead,
  type SubscribeOptions,
  type Subscription,
  OpenSubscriptions,
} from "@starledger/core";
import {
  AppendRefusedByDatabase,
  AppendWriter,
  refusedOutcome,
  type AppendOutcome,
  type EventText,
  type PendingAppend,
} from "./append-writer.js";
import { eventColumns, parseEventRow } from "./event-row.js";
import { PagedEvents } from "./paged-events.js";
import { migrate } from "./schema-migrations.js";
import { sqliteStoreError, sqliteUnavailable } from "./sqlite-errors.js";

/** Defaults of the options; each name carries its unit. */
export const sqliteStoreDefaults = {
  /** How long a write waits for another connection's lock before answering StoreUnavailable; it blocks the event loop meanwhile. */
  busyTimeoutMs: 2_000,
  /** How often subscribers look for appends made by other processes on the same file. */
  pollIntervalMs: 250,
  /** Most appends committed by one transaction (one fsync). */
  maxAppendsPerTransaction: 512,
  /** Most appends waiting for a group commit; beyond it an append answers StoreUnavailable at once. */
  maxQueuedAppends: 10_000,
  /** Rows that readAll and subscribers load per query. */
  readPageSizeEvents: 1_000,
  /**
   * WAL pages (4 KiB each) before a commit also checkpoints into the main file. SQLite's 1000 makes
   * every few group commits pay a checkpoint and its fsync; 10000 (about 40 MiB of WAL) halves commit time here.
   */
  walAutocheckpointPages: 10_000,
} as const;

const SqliteEventStoreOptions = z.strictObject({
  /** A file path (its directory is created) or ":memory:". */
  path: z.string().min(1),
  /** FULL: a returned append is on disk. NORMAL (WAL): survives a process crash, may lose the last appends on power loss. */
  synchronous: z.enum(["FULL", "NORMAL"]).default("FULL"),
  busyTimeoutMs: z.int().min(0).max(60_000).default(sqliteStoreDefaults.busyTimeoutMs),
  pollIntervalMs: z.int().min(1).max(60_000).default(sqliteStoreDefaults.pollIntervalMs),
  maxAppendsPerTransaction: z.int().min(1).max(100_000).default(sqliteStoreDefaults.maxAppendsPerTransaction),
  maxQueuedAppends: z.int().min(1).max(10_000_000).default(sqliteStoreDefaults.maxQueuedAppends),
  readPageSizeEvents: z.int().min(1).max(100_000).default(sqliteStoreDefaults.readPageSizeEvents),
  walAutocheckpointPages: z.int().min(0).max(1_000_000).default(sqliteStoreDefaults.walAutocheckpointPages),
});
export type SqliteEventStoreOptions = z.input<typeof SqliteEventStoreOptions>;
type Settings = z.output<typeof SqliteEventStoreOptions>;

/** Counters of the group commit, for tests and metrics. */
export type GroupCommitStats = {
  /** Write transactions committed (each one fsync with synchronous=FULL). */
  readonly transactions: number;
  /** Appends answered ok, including retries recognised by their event ids. */
  readonly appendsCommitted: number;
  /** Appends answered with a ConcurrencyError, DuplicateEventId or InvalidEventData. */
  readonly appendsRejected: number;
  /** Appends answered StoreUnavailable (lock timeout, I/O error, closed, queue full). */
  readonly appendsUnavailable: number;
  /** Most appends one transaction carried. */
  readonly largestBatch: number;
};

/**
 * Opens (creating and migrating if needed) an SQLite event store: WAL, synchronous=FULL by default.
 * Throws on a bad option, an unopenable file or a schema newer than this build: startup errors.
 */
export const openSqliteEventStore = (options: SqliteEventStoreOptions): SqliteEventStore => {
  const parsed = SqliteEventStoreOptions.safeParse(options);
  if (!parsed.success) throw new Error(`invalid sqlite store options: ${z.prettifyError(parsed.error)}`);
  return new SqliteEventStore(parsed.data);
};

const memoryPath = ":memory:";

/** An EventStore in one SQLite file. Concurrent appends are group-committed: one transaction and one fsync per batch. */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly writer: AppendWriter;
  private readonly readStreamRows: Database.Statement<[string, bigint]>;
  private readonly readByIdRow: Database.Statement<[string]>;
  private readonly readPageRows: Database.Statement<[bigint, number]>;
  private readonly notifier = new AppendNotifier();
  private readonly subscriptions = new OpenSubscriptions();
  private readonly queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closing: Promise<void> | undefined;
  private readonly counters = {
    transactions: 0,
    appendsCommitted: 0,
    appendsRejected: 0,
    appendsUnavailable: 0,
    largestBatch: 0,
  };

  /** Use openSqliteEventStore. */
  constructor(private readonly settings: Settings) {
    if (settings.path !== memoryPath) mkdirSync(dirname(settings.path), { recursive: true });
    this.db = new Database(settings.path, { timeout: settings.busyTimeoutMs });
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${settings.synchronous}`);
      this.db.pragma(`wal_autocheckpoint = ${settings.walAutocheckpointPages}`);
      migrate(this.db);
      this.writer = new AppendWriter(this.db);
      this.readStreamRows = this.db
        .prepare<[string, bigint]>(
          `SELECT ${eventColumns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`,
        )
        .raw(true);
      this.readByIdRow = this.db.prepare<[string]>(`SELECT ${eventColumns} FROM events WHERE id = ?`).raw(true);
      this.readPageRows = this.db
        .prepare<[bigint, number]>(`SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
        .raw(true);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  get path(): string {
    return this.settings.path;
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<Result<StreamRead, StoreError>> {
    if (this.closing !== undefined) return Promise.resolve(err(storeUnavailable("the sqlite store is closed")));
    const storable = checkStorable(stream);
    if (storable.isErr()) return Promise.resolve(err(storable.error));
    const fromRevision = options.fromRevision ?? 0n;
    let rows: unknown[];
    let lastRevision: bigint | undefined;
    try {
      rows = this.readStreamRows.all(stream, fromRevision);
      // Nothing from there on: the stream's last revision is still the answer (the synchronous reads see one state).
      if (rows.length === 0 && fromRevision > 0n) lastRevision = this.writer.streamRevision(stream);
    } catch (error) {
      return Promise.resolve(err(sqliteStoreError("readStream", stream, error)));
    }
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      const parsed = parseEventRow(row);
      if (!parsed.ok) return Promise.resolve(err(storeUnavailable(parsed.message)));
      events.push(parsed.event);
    }
    const revision = events[events.length - 1]?.revision ?? lastRevision ?? "no_stream";
    return Promise.resolve(ok({ events, revision }));
  }

  /** By the UNIQUE index on id: one lookup, whatever the store holds. */
  readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    if (this.closing !== undefined) return Promise.resolve(err(storeUnavailable("the sqlite store is closed")));
    // better-sqlite3 would write a lone surrogate as U+FFFD and find another event's id: such an id is never stored.
    if (!isWellFormedText(id)) return Promise.resolve(ok(undefined));
    let row: unknown;
    try {
      row = this.readByIdRow.get(id);
    } catch (error) {
      return Promise.resolve(err(sqliteUnavailable("readEventById", error)));
    }
    if (row === undefined) return Promise.resolve(ok(undefined));
    const parsed = parseEventRow(row);
    return Promise.resolve(parsed.ok ? ok(parsed.event) : err(storeUnavailable(parsed.message)));
  }

  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    if (this.closing !== undefined) return Promise.resolve(this.unavailable("the sqlite store is closed"));
    if (this.queue.length >= this.settings.maxQueuedAppends) {
      return Promise.resolve(
        this.unavailable(`the sqlite append queue is full (${this.settings.maxQueuedAppends} appends)`),
      );
    }
    const storable = checkStorable(stream, events);
    if (storable.isErr()) {
      this.counters.appendsRejected++;
      return Promise.resolve(err(storable.error));
    }
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.id)) {
        this.counters.appendsRejected++;
        return Promise.resolve(err({ type: "DuplicateEventId", stream, eventId: event.id }));
      }
      seen.add(event.id);
    }
    let texts: EventText[];
    try {
      texts = events.map((event) => ({ data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) }));
    } catch (error) {
      // A bigint or a cycle in an event is a bug in the caller, not an outcome: reject, queue nothing.
      return Promise.reject(new TypeError(`an event for ${stream} is not JSON-serialisable`, { cause: error }));
    }
    return new Promise((resolve) => {
      this.queue.push({
        stream,
        events,
        texts,
        expectedRevision,
        resolve: (outcome: AppendOutcome) => {
          resolve(outcome.ok ? ok(outcome.value) : err(outcome.error));
        },
      });
      this.scheduleFlush();
    });
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const limit = options.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(options.limit));
    const after = options.after ?? 0n;
    const pageSize = this.settings.readPageSizeEvents;
    return {
      [Symbol.asyncIterator]: () => new PagedEvents((from, size) => this.readPage(from, size), after, limit, pageSize),
    };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    if (this.closing !== undefined) {
      queueMicrotask(() => options.onError?.(new StoreUnavailableError("the sqlite store is closed")));
      return { close: () => Promise.resolve() };
    }
    const listener = this.notifier.listen();
    const running = runSubscription(
      {
        readBatch: (after, limit) => Promise.resolve(this.readPage(after, limit)),
        waitForAppend: (timeoutMs, signal) => listener.wait(timeoutMs, signal),
      },
      options,
      handler,
      { pollIntervalMs: this.settings.pollIntervalMs, batchSize: this.settings.readPageSizeEvents },
    );
    return this.subscriptions.track(running, () => {
      listener.dispose();
    });
  }

  headPosition(): Promise<Result<bigint, StoreError>> {
    if (this.closing !== undefined) return Promise.resolve(err(storeUnavailable("the sqlite store is closed")));
    try {
      return Promise.resolve(ok(this.writer.headPosition()));
    } catch (error) {
      return Promise.resolve(err(sqliteUnavailable("headPosition", error)));
    }
  }

  /** Commits the appends already queued, stops the subscriptions, then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    while (this.queue.length > 0) this.commit(this.queue.splice(0, this.settings.maxAppendsPerTransaction));
    await this.subscriptions.closeAll();
    this.db.close();
  }

  private unavailable(message: string): Result<never, StoreError> {
    this.counters.appendsUnavailable++;
    return err(storeUnavailable(message));
  }

  /** Appends arriving before the next macrotask join the same transaction. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.queue.splice(0, this.settings.maxAppendsPerTransaction);
      if (this.queue.length > 0) this.scheduleFlush();
      if (batch.length > 0) this.commit(batch);
    });
  }

  /**
   * One transaction for the batch. An append whose data SQLite refuses (a constraint the checks did not
   * foresee, a size or type error) is answered alone and the batch redone without it, so its batch-mates
   * still commit; any other failure answers every append of the batch StoreUnavailable and writes nothing.
   */
  private commit(batch: PendingAppend[]): void {
    const remaining = batch;
    while (remaining.length > 0) {
      let outcomes: AppendOutcome[];
      try {
        outcomes = this.writer.writeBatch(remaining, Date.now());
      } catch (error) {
        if (error instanceof AppendRefusedByDatabase) {
          const [failed] = remaining.splice(error.index, 1);
          if (failed !== undefined) this.answer(failed, refusedOutcome(failed, error.cause));
          continue;
        }
        const unavailable = sqliteUnavailable("append transaction", error);
        for (const append of remaining) this.answer(append, { ok: false, error: unavailable });
        return;
      }
      this.counters.transactions++;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, remaining.length);
      let wrote = false;
      for (const [index, append] of remaining.entries()) {
        const outcome = outcomes[index];
        if (outcome === undefined) continue;
        wrote ||= outcome.ok && outcome.wrote;
        this.answer(append, outcome);
      }
      if (wrote) this.notifier.notify();
      return;
    }
  }

  private answer(append: PendingAppend, outcome: AppendOutcome): void {
    if (outcome.ok) this.counters.appendsCommitted++;
    else if (outcome.error.type === "StoreUnavailable") this.counters.appendsUnavailable++;
    else this.counters.appendsRejected++;
    append.resolve(outcome);
  }

  /** Throws StoreUnavailableError: readAll and the subscription loop cannot return a Result. */
  private readPage(after: bigint, limit: number): RecordedEvent[] {
    if (!this.db.open) throw new StoreUnavailableError("the sqlite store is closed");
    let rows: unknown[];
    try {
      rows = this.readPageRows.all(after, limit);
    } catch (error) {
      const unavailable = sqliteUnavailable("readAll", error);
      throw new StoreUnavailableError(unavailable.message, { cause: error });
    }
    return rows.map((row) => {
      const parsed = parseEventRow(row);
      if (!parsed.ok) throw new StoreUnavailableError(parsed.message);
      return parsed.event;
    });
  }
}
