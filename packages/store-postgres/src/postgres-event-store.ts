import assert from "node:assert/strict";
import pg from "pg";
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
  type StoreUnavailable,
  type StreamRead,
  type SubscribeOptions,
  type Subscription,
  OpenSubscriptions,
} from "@starledger/core";
import { AppendBatcher, type AppendRequest, type PendingAppend } from "./append-batcher.js";
import { AppendListener } from "./append-listener.js";
import { AppendRow, appendOutcome, expectedRevisionParameter } from "./append-outcome.js";
import { eventColumns, parseEventRow } from "./event-row.js";
import { describeError, isDataException, pgStoreError, sqlState, uniqueViolation } from "./pg-errors.js";
import { onPooledClient } from "./pooled-client.js";
import { latestSchemaVersion, migrate } from "./schema-migrations.js";
import { storeTypeParsers } from "./type-parsers.js";
import { appendChannel, PostgresEventStoreOptions, type ResolvedPostgresEventStoreOptions } from "./store-options.js";

/**
 * Attempts after the first when an append hits a unique violation: a concurrent writer created the
 * stream or wrote one of the ids first. The next attempt sees its commit and answers from it.
 */
export const uniqueViolationRetries = 2;

/** SQLSTATEs after which a batch has written nothing and its appends are retried one by one: unique_violation, deadlock_detected. */
const batchCollisionStates = new Set([uniqueViolation, "40P01"]);

const HeadRow = z.object({ position: z.bigint() });
const StreamRevisionRow = z.object({ stream_revision: z.bigint().nullable() });

const ignore = (): void => undefined;

/**
 * The EventStore port on PostgreSQL. Open it with `createPostgresEventStore` (or
 * `PostgresEventStore.open`), which validates the options, migrates the schema and returns a Result.
 */
export class PostgresEventStore implements EventStore {
  /** The schema the store's tables live in. */
  readonly schema: string;
  private readonly notifier = new AppendNotifier();
  private readonly listener: AppendListener;
  private readonly subscriptions = new OpenSubscriptions();
  private readonly onBackgroundError: (error: unknown) => void;
  private readonly sql: {
    readonly append: string;
    readonly appendBatch: string;
    readonly readStream: string;
    readonly readById: string;
    readonly readPage: string;
    readonly head: string;
  };
  private readonly batcher = new AppendBatcher((batch) => this.appendBatch(batch));
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: ResolvedPostgresEventStoreOptions,
    clientConfig: pg.ClientConfig,
  ) {
    this.schema = options.schema;
    this.onBackgroundError = options.onBackgroundError ?? ignore;
    const s = `"${options.schema}"`;
    this.sql = {
      append: `SELECT * FROM ${s}.append_events($1, $2, $3, $4, $5, $6)`,
      appendBatch: `SELECT * FROM ${s}.append_batch($1, $2, $3, $4, $5, $6, $7, $8)`,
      // One round trip and one snapshot: the events from $2 on, and the stream's revision even when there are none
      // (the LEFT JOIN on a one-row table answers one row of NULL event columns then).
      readStream:
        `SELECT e.*, (SELECT st.revision FROM ${s}.streams st WHERE st.stream = $1) AS stream_revision ` +
        `FROM (SELECT 1) AS one LEFT JOIN ` +
        `(SELECT ${eventColumns} FROM ${s}.events WHERE stream = $1 AND revision >= $2) AS e ON true ORDER BY e.revision`,
      readById: `SELECT ${eventColumns} FROM ${s}.events WHERE id = $1`,
      readPage: `SELECT ${eventColumns} FROM ${s}.events WHERE position > $1 ORDER BY position LIMIT $2`,
      head: `SELECT position FROM ${s}.global_head`,
    };
    this.listener = new AppendListener({
      clientConfig,
      channel: appendChannel(options.schema),
      notifier: this.notifier,
      onBackgroundError: this.onBackgroundError,
    });
  }

  /** Validates the options (throws on invalid ones), opens the pool and migrates the schema unless `migrate: false`. */
  static async open(input: PostgresEventStoreOptions): Promise<Result<PostgresEventStore, StoreUnavailable>> {
    const parsed = PostgresEventStoreOptions.safeParse(input);
    if (!parsed.success) throw new TypeError(`invalid PostgresEventStore options: ${z.prettifyError(parsed.error)}`);
    const options = parsed.data;
    const clientConfig: pg.ClientConfig = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectionTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      application_name: options.applicationName,
      keepAlive: true,
      types: storeTypeParsers,
    };
    const pool = new pg.Pool({ ...clientConfig, max: options.poolSize, idleTimeoutMillis: options.idleTimeoutMs });
    // An idle connection that dies is dropped by the pool; without this listener it would crash the process.
    pool.on("error", options.onBackgroundError ?? ignore);
    if (options.migrate) {
      let failure: StoreUnavailable | undefined;
      try {
        const { value: outcome } = await onPooledClient(pool, (client) => migrate(client, options.schema));
        if (outcome.kind === "tooNew") {
          failure = storeUnavailable(
            `schema "${options.schema}" is at version ${outcome.current}; this build knows up to ${latestSchemaVersion}`,
          );
        }
      } catch (error) {
        failure = storeUnavailable(`cannot open the PostgreSQL event store: ${describeError(error)}`, error);
      }
      if (failure !== undefined) {
        await pool.end().catch(ignore);
        return err(failure);
      }
    }
    return ok(new PostgresEventStore(pool, options, clientConfig));
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<Result<StreamRead, StoreError>> {
    if (this.closing !== undefined) return err(storeUnavailable("the event store is closed"));
    const storable = checkStorable(stream);
    if (storable.isErr()) return err(storable.error);
    const fromRevision = (options.fromRevision ?? 0n).toString();
    try {
      const result = await onPooledClient(this.pool, (client) =>
        client.query({
          name: `sl_read_stream_${this.schema}`,
          text: this.sql.readStream,
          values: [stream, fromRevision],
        }),
      );
      const rows = result.value.rows;
      const { stream_revision: revision } = StreamRevisionRow.parse(rows[0]);
      const events = rows.filter((row) => (row as { position: unknown }).position !== null).map(parseEventRow);
      return ok({ events, revision: revision ?? "no_stream" });
    } catch (error) {
      return err(pgStoreError(`reading ${stream}`, stream, error));
    }
  }

  /** By the UNIQUE index on id: one round trip, whatever the store holds. */
  async readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    if (this.closing !== undefined) return err(storeUnavailable("the event store is closed"));
    // PostgreSQL text cannot hold NUL nor a lone surrogate: such an id was never stored.
    if (!isWellFormedText(id)) return ok(undefined);
    try {
      const result = await onPooledClient(this.pool, (client) =>
        client.query({ name: `sl_read_by_id_${this.schema}`, text: this.sql.readById, values: [id] }),
      );
      const row: unknown = result.value.rows[0];
      return ok(row === undefined ? undefined : parseEventRow(row));
    } catch (error) {
      return err(storeUnavailable(`reading event ${id} failed: ${describeError(error)}`, error));
    }
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    if (this.closing !== undefined) return err(storeUnavailable("the event store is closed"));
    const storable = checkStorable(stream, events);
    if (storable.isErr()) return err(storable.error);
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.id)) return err({ type: "DuplicateEventId", stream, eventId: event.id });
      seen.add(event.id);
    }
    if (events.length === 0) return this.appendAlone({ stream, events, expectedRevision });
    return this.batcher.append({ stream, events, expectedRevision });
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let after = options.after ?? 0n;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const pageSize = Math.min(this.options.readAllPageSizeEvents, remaining);
      const page = await this.readPage(after, pageSize);
      for (const event of page) yield event;
      const last = page[page.length - 1];
      if (last === undefined || page.length < pageSize) return;
      after = last.position;
      remaining -= page.length;
    }
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    if (this.closing !== undefined) {
      options.onError?.(new StoreUnavailableError("the event store is closed"));
      return { close: () => Promise.resolve() };
    }
    this.listener.start();
    const wake = this.notifier.listen();
    const running = runSubscription(
      {
        readBatch: (after, limit) => this.readPage(after, limit),
        waitForAppend: (timeoutMs, signal) => wake.wait(timeoutMs, signal),
      },
      options,
      handler,
      {
        batchSize: this.options.subscriptionBatchSizeEvents,
        pollIntervalMs: this.options.pollIntervalMs,
        onTransientError: this.onBackgroundError,
      },
    );
    return this.subscriptions.track(running, () => {
      wake.dispose();
    });
  }

  async headPosition(): Promise<Result<bigint, StoreError>> {
    if (this.closing !== undefined) return err(storeUnavailable("the event store is closed"));
    try {
      const result = await onPooledClient(this.pool, (client) =>
        client.query({ name: `sl_head_${this.schema}`, text: this.sql.head }),
      );
      return ok(HeadRow.parse(result.value.rows[0]).position);
    } catch (error) {
      return err(storeUnavailable(`reading the head position failed: ${describeError(error)}`, error));
    }
  }

  /** Stops the subscriptions and the LISTEN connection, then ends the pool. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.subscriptions.closeAll();
      await this.listener.stop();
      await this.pool.end().catch(this.onBackgroundError);
    })();
    return this.closing;
  }

  /** One append in its own transaction; a unique violation (a concurrent creator of the stream or id) is asked again. */
  private async appendAlone({
    stream,
    events,
    expectedRevision,
  }: AppendRequest): Promise<Result<AppendResult, StoreError>> {
    const values = [
      stream,
      expectedRevisionParameter(expectedRevision),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    ];
    for (let attempt = 0; ; attempt++) {
      let row: unknown;
      let afterBrokenAttempt: boolean;
      try {
        const result = await onPooledClient(this.pool, (client) =>
          client.query({ name: `sl_append_${this.schema}`, text: this.sql.append, values }),
        );
        row = result.value.rows[0];
        afterBrokenAttempt = result.afterBrokenAttempt;
      } catch (error) {
        if (sqlState(error) !== uniqueViolation) return err(pgStoreError(`append to ${stream}`, stream, error));
        if (attempt < uniqueViolationRetries) continue;
        return err({ type: "ConcurrencyError", stream, expected: expectedRevision });
      }
      const outcome = this.appendResult(row, { stream, events, expectedRevision }, afterBrokenAttempt);
      if (outcome.isOk() && outcome.value.alreadyRecorded !== true) this.notifier.notify();
      return outcome;
    }
  }

  /**
   * Several appends in one transaction (see append-batcher.ts). When the batch collides with a
   * concurrent writer (unique violation, deadlock), or the server refuses one append's data, it has
   * written nothing, and each append is then made on its own: only the refused one fails.
   */
  private async appendBatch(batch: readonly PendingAppend[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      only.resolve(await this.appendAlone(only));
      return;
    }
    // Streams locked in one order by every batch: no deadlock between batches. The sort is stable,
    // so appends to one stream keep their order.
    const ordered = [...batch].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    const events = ordered.flatMap((pending) => pending.events);
    const values = [
      ordered.map((pending) => pending.stream),
      ordered.map((pending) => expectedRevisionParameter(pending.expectedRevision)),
      ordered.map((pending) => pending.events.length),
      ordered.flatMap((pending, index) => pending.events.map(() => index + 1)),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    ];
    let rows: unknown[];
    let afterBrokenAttempt: boolean;
    try {
      const result = await onPooledClient(this.pool, (client) =>
        client.query({ name: `sl_append_batch_${this.schema}`, text: this.sql.appendBatch, values }),
      );
      rows = result.value.rows;
      afterBrokenAttempt = result.afterBrokenAttempt;
    } catch (error) {
      if (batchCollisionStates.has(sqlState(error) ?? "") || isDataException(error)) {
        for (const pending of ordered) pending.resolve(await this.appendAlone(pending));
        return;
      }
      for (const pending of ordered) {
        pending.resolve(err(storeUnavailable(`append to ${pending.stream} failed: ${describeError(error)}`, error)));
      }
      return;
    }
    assert.equal(rows.length, ordered.length, "append_batch answers once per append");
    const outcomes = ordered.map((pending, index) => this.appendResult(rows[index], pending, afterBrokenAttempt));
    if (outcomes.some((outcome) => outcome.isOk() && outcome.value.alreadyRecorded !== true)) this.notifier.notify();
    ordered.forEach((pending, index) => {
      const outcome = outcomes[index];
      assert(outcome !== undefined);
      pending.resolve(outcome);
    });
  }

  private appendResult(
    row: unknown,
    request: AppendRequest,
    afterBrokenAttempt: boolean,
  ): Result<AppendResult, StoreError> {
    const outcome = appendOutcome(AppendRow.parse(row), request.stream, request.events, request.expectedRevision);
    if (outcome.isOk() && outcome.value.alreadyRecorded === true && afterBrokenAttempt) {
      // The lost attempt may have written these events, or a racer did: "already recorded" could
      // make the caller drop its own write, so the outcome is reported as unknown.
      return err(
        storeUnavailable(`the connection broke during the append to ${request.stream}; it may have been recorded`),
      );
    }
    return outcome;
  }

  /** Events with position > after, at most `limit`, in global order; throws StoreUnavailableError. */
  private async readPage(after: bigint, limit: number): Promise<RecordedEvent[]> {
    if (this.closing !== undefined) throw new StoreUnavailableError("the event store is closed");
    let rows: unknown[];
    try {
      const result = await onPooledClient(this.pool, (client) =>
        client.query({
          name: `sl_read_page_${this.schema}`,
          text: this.sql.readPage,
          values: [after.toString(), limit],
        }),
      );
      rows = result.value.rows;
    } catch (error) {
      throw new StoreUnavailableError(`reading events after position ${after} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
    return rows.map(parseEventRow);
  }
}

/** Opens a PostgresEventStore: see PostgresEventStore.open. */
export const createPostgresEventStore = (
  options: PostgresEventStoreOptions,
): Promise<Result<PostgresEventStore, StoreUnavailable>> => PostgresEventStore.open(options);
