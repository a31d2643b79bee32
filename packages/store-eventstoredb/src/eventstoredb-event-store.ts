import { randomUUID } from "node:crypto";
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from "@eventstore/db-client";
import {
  checkStorable,
  isWellFormedText,
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
import { err, ok, type Result } from "neverthrow";
import { planAppend } from "./append-plan.js";
import { normalizeEventStoreUrl } from "./connection-url.js";
import {
  appendIdOf,
  comparePositions,
  isLedgerEvent,
  parseRecordedEvent,
  rawPosition,
  toEventData,
  toReadPosition,
} from "./event-mapping.js";
import { subscribeToLedger } from "./ledger-subscription.js";
import { isStreamNotFound, isWrongExpectedVersion, toStoreError, toStoreUnavailable } from "./store-errors.js";

/** The client calls this store makes; a test can hand in a stand-in with the same shapes. */
export type EventStoreDbClientPort = Pick<
  EventStoreDBClient,
  "readStream" | "readAll" | "appendToStream" | "subscribeToAll" | "dispose"
>;

export const eventStoreDbDefaults = {
  /** Records asked of the server per readAll request (foreign and system records count too). */
  readAllPageSize: 500,
  /** Records per backwards request while looking for the last ledger event. */
  headScanPageSize: 100,
  /** Read-check-write rounds for one append; only "any" can need more than two. */
  appendAttemptsMax: 10,
  initialRetryDelayMs: 10,
  maxRetryDelayMs: 5000,
} as const;

export type EventStoreDbTuning = {
  readonly readAllPageSize?: number;
  readonly headScanPageSize?: number;
  readonly appendAttemptsMax?: number;
  readonly initialRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** Called with each failure a subscription will retry (connection lost, leader change...). */
  readonly onTransientError?: (error: unknown) => void;
};

export type EventStoreDbEventStoreOptions = EventStoreDbTuning & {
  /** `esdb://`, `esdb+discover://`, `kurrentdb://` or `kurrentdb+discover://` connection string. */
  readonly url: string;
};

const collect = async <T>(
  read: AsyncIterable<T> & { on(event: "error", listener: (error: Error) => void): unknown },
): Promise<T[]> => {
  // Errors reach the for-await; this keeps a late one from crashing the process.
  read.on("error", () => undefined);
  const out: T[] = [];
  for await (const item of read) out.push(item);
  return out;
};

const positiveWhole = (value: number | undefined, fallback: number, name: string): number => {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen <= 0)
    throw new RangeError(`${name} must be a positive whole number, got ${chosen}`);
  return chosen;
};

/** Opens a store on an EventStoreDB/KurrentDB server or cluster. No request is made until the first call. */
export const createEventStoreDbEventStore = (options: EventStoreDbEventStoreOptions): EventStoreDbEventStore =>
  new EventStoreDbEventStore(EventStoreDBClient.connectionString(normalizeEventStoreUrl(options.url)), options);

/**
 * The EventStore port on EventStoreDB/KurrentDB. A ledger stream is an ESDB stream of the same name; the
 * global order is $all restricted to the ledger's stream prefixes, and a position is an event's commit
 * position in $all (see event-mapping.ts). An append is three round trips: read the stream to recognise
 * retried event ids (append-plan.ts), write at the exact revision read, read the last event back to learn
 * its position and whether this attempt wrote it (the server answers a racing duplicate with success).
 * Two reads per append buy an idempotency that never depends on the server's bounded duplicate cache.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDbClientPort;
  private readonly tuning: Required<Omit<EventStoreDbTuning, "onTransientError">> & {
    readonly onTransientError: ((error: unknown) => void) | undefined;
  };
  private readonly subscriptions = new OpenSubscriptions();
  private closed = false;

  constructor(client: EventStoreDbClientPort, tuning: EventStoreDbTuning = {}) {
    this.client = client;
    this.tuning = {
      readAllPageSize: positiveWhole(tuning.readAllPageSize, eventStoreDbDefaults.readAllPageSize, "readAllPageSize"),
      headScanPageSize: positiveWhole(
        tuning.headScanPageSize,
        eventStoreDbDefaults.headScanPageSize,
        "headScanPageSize",
      ),
      appendAttemptsMax: positiveWhole(
        tuning.appendAttemptsMax,
        eventStoreDbDefaults.appendAttemptsMax,
        "appendAttemptsMax",
      ),
      initialRetryDelayMs: positiveWhole(
        tuning.initialRetryDelayMs,
        eventStoreDbDefaults.initialRetryDelayMs,
        "initialRetryDelayMs",
      ),
      maxRetryDelayMs: positiveWhole(tuning.maxRetryDelayMs, eventStoreDbDefaults.maxRetryDelayMs, "maxRetryDelayMs"),
      onTransientError: tuning.onTransientError,
    };
  }

  /**
   * Reads from one revision before `fromRevision`, so the answer shows the stream's last revision even when
   * nothing is newer: one request. Only a reader asking beyond the stream's end pays a second, for the last event.
   */
  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<Result<StreamRead, StoreError>> {
    const storable = checkStorable(stream);
    if (storable.isErr()) return err(storable.error);
    const fromRevision = options.fromRevision ?? 0n;
    const read = await this.readRecords(stream, {
      fromRevision: fromRevision > 0n ? fromRevision - 1n : START,
      direction: FORWARDS,
    });
    if (read.isErr()) return err(read.error);
    if (read.value === undefined) return ok({ events: [], revision: "no_stream" });
    let last = read.value[read.value.length - 1];
    if (last === undefined) {
      const tail = await this.readRecords(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 });
      if (tail.isErr()) return err(tail.error);
      last = tail.value?.[0];
    }
    const events = read.value.filter((event) => event.revision >= fromRevision);
    return ok({ events, revision: last === undefined ? "no_stream" : last.revision });
  }

  /** The stream's events as asked; undefined when the stream does not exist. */
  private async readRecords(
    stream: string,
    options: Parameters<EventStoreDbClientPort["readStream"]>[1],
  ): Promise<Result<RecordedEvent[] | undefined, StoreError>> {
    let resolved: ResolvedEvent[];
    try {
      resolved = await collect(this.client.readStream(stream, options));
    } catch (error) {
      if (isStreamNotFound(error)) return ok(undefined);
      return err(toStoreUnavailable(error, `reading ${stream}`));
    }
    const events: RecordedEvent[] = [];
    for (const record of resolved) {
      const parsed = parseRecordedEvent(record);
      if (parsed.isErr()) return err(storeUnavailable(`EventStoreDB returned an unreadable event: ${parsed.error}`));
      events.push(parsed.value);
    }
    return ok(events);
  }

  /**
   * EventStoreDB has no index on event ids: this scans $all backwards from its end, page by page, for a ledger
   * event with this id. A recent event is found quickly; an id that is nowhere costs a read of the whole log.
   */
  async readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    if (!isWellFormedText(id)) return ok(undefined);
    const wanted = id.toLowerCase();
    return this.lastLedgerEvent((record) => record.event?.id.toLowerCase() === wanted);
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    // gRPC carries strings as UTF-8: a lone surrogate would arrive as U+FFFD, not as what was hashed.
    const storable = checkStorable(stream, events);
    if (storable.isErr()) return err(storable.error);
    const lastId = events[events.length - 1]?.id.toLowerCase();
    for (let attempt = 1; attempt <= this.tuning.appendAttemptsMax; attempt++) {
      const current = await this.readStream(stream);
      if (current.isErr()) return err(current.error);
      const plan = planAppend(stream, events, expectedRevision, current.value);
      if (plan.kind === "answer") return plan.result;
      const appendId = randomUUID();
      const data = events.map((event, index) => toEventData(event, index === events.length - 1 ? appendId : undefined));
      let appended: EsdbAppendResult;
      try {
        appended = await this.client.appendToStream(stream, data, { expectedRevision: plan.expectedRevision });
      } catch (error) {
        // Someone wrote since the read (perhaps these very events, retried elsewhere): read and decide again.
        if (isWrongExpectedVersion(error)) continue;
        return err(toStoreError(error, stream, expectedRevision));
      }
      if (!appended.success) continue; // the same, when the URL sets throwOnAppendFailure=false
      const written = await this.readEventAt(stream, appended.nextExpectedRevision);
      if (written.isErr()) return err(written.error);
      // Not our last event there: the stream is not what the answer said; a fresh read decides.
      if (written.value.event.id.toLowerCase() !== lastId) continue;
      const { position, revision } = written.value.event;
      return ok(
        written.value.appendId === appendId
          ? { nextRevision: revision, position }
          : { nextRevision: revision, position, alreadyRecorded: true },
      );
    }
    return err({ type: "ConcurrencyError", stream, expected: expectedRevision });
  }

  /** The event at `revision` with the append attempt that wrote it; its position is its $all position. */
  private async readEventAt(
    stream: string,
    revision: bigint,
  ): Promise<Result<{ event: RecordedEvent; appendId: string | undefined }, StoreError>> {
    let resolved: ResolvedEvent[];
    try {
      resolved = await collect(
        this.client.readStream(stream, { fromRevision: revision, direction: FORWARDS, maxCount: 1 }),
      );
    } catch (error) {
      return err(toStoreUnavailable(error, `reading back ${stream}@${revision}`));
    }
    const record = resolved[0];
    if (record === undefined)
      return err(storeUnavailable(`EventStoreDB acknowledged an append to ${stream} but has no revision ${revision}`));
    const parsed = parseRecordedEvent(record);
    if (parsed.isErr()) return err(storeUnavailable(`EventStoreDB returned an unreadable event: ${parsed.error}`));
    return ok({ event: parsed.value, appendId: appendIdOf(record) });
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const after = options.after ?? 0n;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const pageSize = this.tuning.readAllPageSize;
    let from: ReadPosition = toReadPosition(after);
    // Forward reads include the record at `from`; it was delivered already (or is `after` itself).
    let seen: Position | undefined = typeof from === "string" ? undefined : from;
    for (;;) {
      const read = await this.readAllPage(from, FORWARDS, pageSize);
      if (read.isErr()) throw new StoreUnavailableError(read.error.message, { cause: read.error.cause });
      const page = read.value;
      for (const record of page) {
        const raw = rawPosition(record);
        if (raw !== undefined && seen !== undefined && comparePositions(raw, seen) <= 0) continue;
        if (!isLedgerEvent(record)) continue;
        const parsed = parseRecordedEvent(record);
        if (parsed.isErr())
          throw new StoreUnavailableError(`EventStoreDB returned an unreadable event: ${parsed.error}`);
        if (parsed.value.position <= after) continue;
        yield parsed.value;
        remaining--;
        if (remaining <= 0) return;
      }
      const last = page[page.length - 1];
      const lastPosition = last === undefined ? undefined : rawPosition(last);
      if (page.length < pageSize || lastPosition === undefined) return;
      from = lastPosition;
      seen = lastPosition;
    }
  }

  private async readAllPage(
    from: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number,
  ): Promise<Result<AllStreamResolvedEvent[], StoreUnavailable>> {
    try {
      return ok(await collect(this.client.readAll({ fromPosition: from, direction, maxCount })));
    } catch (error) {
      return err(toStoreUnavailable(error, "reading $all"));
    }
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const subscription = subscribeToLedger(this.client, options, handler, {
      initialRetryDelayMs: this.tuning.initialRetryDelayMs,
      maxRetryDelayMs: this.tuning.maxRetryDelayMs,
      onTransientError: this.tuning.onTransientError,
    });
    return this.subscriptions.track(subscription);
  }

  /** The last ledger event's position in $all: read backwards, skipping system and foreign records. */
  async headPosition(): Promise<Result<bigint, StoreError>> {
    const last = await this.lastLedgerEvent(() => true);
    return last.map((event) => event?.position ?? 0n);
  }

  /** The last ledger event in $all that `matches`, reading backwards a page at a time; undefined when none does. */
  private async lastLedgerEvent(
    matches: (record: AllStreamResolvedEvent) => boolean,
  ): Promise<Result<RecordedEvent | undefined, StoreError>> {
    const pageSize = this.tuning.headScanPageSize;
    let from: ReadPosition = END;
    let seen: Position | undefined;
    for (;;) {
      const read = await this.readAllPage(from, BACKWARDS, pageSize);
      if (read.isErr()) return err(read.error);
      const page = read.value;
      for (const record of page) {
        const raw = rawPosition(record);
        if (raw !== undefined && seen !== undefined && comparePositions(raw, seen) >= 0) continue;
        if (!isLedgerEvent(record) || !matches(record)) continue;
        const parsed = parseRecordedEvent(record);
        if (parsed.isErr()) return err(storeUnavailable(`EventStoreDB returned an unreadable event: ${parsed.error}`));
        return ok(parsed.value);
      }
      const last = page[page.length - 1];
      const lastPosition = last === undefined ? undefined : rawPosition(last);
      if (page.length < pageSize || lastPosition === undefined) return ok(undefined);
      from = lastPosition;
      seen = lastPosition;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.closeAll();
    await this.client.dispose();
  }
}
