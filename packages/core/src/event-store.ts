import type { Result } from "neverthrow";

/** Anything a store can persist as JSON. */
export type JsonObject = { readonly [key: string]: unknown };

export type EventMetadata = {
  readonly schemaVersion: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Per-stream hash chain (see hash-chain.ts): hash of the previous event in the stream; genesisHash (64 zeros) for the first. */
  readonly prevHash?: string;
  readonly hash?: string;
  readonly [key: string]: unknown;
};

/** An event on its way into a store. `id` is a UUID; the same id appended twice is the same event. */
export type NewEvent = {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: EventMetadata;
};

/** An event as a store recorded it. */
export type RecordedEvent = NewEvent & {
  readonly stream: string;
  /** 0-based position of the event within its stream. */
  readonly revision: bigint;
  /** Position in the store's global order: strictly increasing, greater than 0; not necessarily dense. */
  readonly position: bigint;
  readonly recordedAt: Date;
};

/** "no_stream": the stream must not exist yet; "any": no check; a bigint: the revision of the stream's last event. */
export type ExpectedRevision = "no_stream" | "any" | bigint;

export type ConcurrencyError = {
  readonly type: "ConcurrencyError";
  readonly stream: string;
  readonly expected: ExpectedRevision;
  /** The stream's actual last revision, or "no_stream"; undefined when the store cannot tell. */
  readonly actual?: bigint | "no_stream";
};
export type StoreUnavailable = {
  readonly type: "StoreUnavailable";
  readonly message: string;
  readonly cause?: unknown;
};
/** Some, but not all, of the appended event ids already exist: a programming error, never a retry. */
export type DuplicateEventId = {
  readonly type: "DuplicateEventId";
  readonly stream: string;
  readonly eventId: string;
};
/**
 * The store cannot hold what it was given as given: text that would not read back identically, or a value the
 * database refuses (PostgreSQL class 22/23, SQLite's constraint, size and type errors). Final: nothing was
 * written, and the same request will be refused again, so it is never a retry.
 */
export type InvalidEventData = {
  readonly type: "InvalidEventData";
  readonly stream: string;
  /** Where the refused text is (`events[0].data.telegramPaymentChargeId`); absent when the database refused. */
  readonly field?: string;
  readonly message: string;
  readonly cause?: unknown;
};
export type StoreError = ConcurrencyError | StoreUnavailable | DuplicateEventId | InvalidEventData;

export type ReadStreamOptions = {
  /** Inclusive lower bound: only events with revision >= fromRevision. Default 0n (the whole stream). */
  readonly fromRevision?: bigint;
};

export type StreamRead = {
  /** The stream's events from `fromRevision` on, in revision order. */
  readonly events: readonly RecordedEvent[];
  /** Revision of the stream's last event, even when fromRevision leaves no events; "no_stream" when it is empty. */
  readonly revision: bigint | "no_stream";
};

export type AppendResult = {
  /** Revision of the last event now in the stream. */
  readonly nextRevision: bigint;
  /** Global position of the last appended event. */
  readonly position: bigint;
  /**
   * True when every event was already in the stream (same ids): nothing was written and the original
   * result is returned. Racing writers that compute the same deterministic events learn they lost.
   * Every store sets it on such a replay (the conformance suite checks); absent means false.
   */
  readonly alreadyRecorded?: boolean;
};

export type ReadAllOptions = {
  /** Exclusive lower bound: only events with position > after. Default 0n (from the start). */
  readonly after?: bigint;
  /** Most events to return. Default: all. */
  readonly limit?: number;
};

export type SubscribeOptions = {
  /** Exclusive: deliver events with position > after. Default 0n. */
  readonly after?: bigint;
  /** Called once if the subscription stops on an error (the handler threw, or the store failed for good). */
  readonly onError?: (error: unknown) => void;
};

export type EventHandler = (event: RecordedEvent) => void | Promise<void>;

export type Subscription = {
  /** Stop delivering; resolves when no handler call is in flight. */
  close(): Promise<void>;
};

/**
 * The EventStore port. Every adapter passes the conformance suite in `@starledger/core/testing`:
 * - appendToStream is atomic: all events or none, checked against expectedRevision.
 * - Appending again exactly the events already at the stream's tail (same ids) is recognised
 *   and answered with the original result, writing nothing.
 * - readAll yields events in global order and never skips one, even when writers commit out of order.
 * - subscribe catches up from `after`, then follows live appends; every event once, in order;
 *   the handler is awaited before the next event is delivered.
 * - readStream from a revision reads only the events at or after it, and still tells the stream's last revision.
 * - readEventById finds an event on any stream by its id (each store has an index on it, or says what it costs).
 * - readAll iteration throws a StoreUnavailableError when the store fails mid-read.
 * - Text it cannot read back identically (see checkStorable) is refused with InvalidEventData, writing nothing.
 */
export interface EventStore {
  readStream(stream: string, options?: ReadStreamOptions): Promise<Result<StreamRead, StoreError>>;
  /**
   * The event recorded with this id, on whichever stream holds it; undefined when none does (an id that is not
   * well-formed text was never stored). Lets a replayed request be answered without reading its stream.
   */
  readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>>;
  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription;
  /** The position of the last recorded event, 0n when empty. */
  headPosition(): Promise<Result<bigint, StoreError>>;
  close(): Promise<void>;
}

/** Thrown from readAll iteration (an AsyncIterable cannot return a Result). */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

export const storeUnavailable = (message: string, cause?: unknown): StoreUnavailable =>
  cause === undefined ? { type: "StoreUnavailable", message } : { type: "StoreUnavailable", message, cause };

export const invalidEventData = (
  stream: string,
  message: string,
  details: { readonly field?: string; readonly cause?: unknown } = {},
): InvalidEventData => ({
  type: "InvalidEventData",
  stream,
  message,
  ...(details.field === undefined ? {} : { field: details.field }),
  ...(details.cause === undefined ? {} : { cause: details.cause }),
});
