import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult,
  type Direction,
  type EventData,
  type Filter,
  type JSONType,
  type MetadataType,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from "@eventstore/db-client";
import type { EventStoreDbClientPort } from "../../src/index.js";

/** A record as the client hands it back from $all: a JSON event with its {commit, prepare} position. */
export type StoredEvent = {
  streamId: string;
  id: string;
  isJson: true;
  revision: bigint;
  type: string;
  created: Date;
  data: JSONType;
  metadata: MetadataType | undefined;
  position: Position;
};

type Method = "readStream" | "readAll" | "appendToStream" | "subscribeToAll";

type LiveSubscription = { readonly stream: Readable; readonly accepts: (event: StoredEvent) => boolean };

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const readOf = (items: readonly unknown[], failure?: Error): Readable & { cancel(): Promise<void> } => {
  let index = 0;
  const stream = new Readable({
    objectMode: true,
    read() {
      if (index < items.length) {
        this.push(items[index]);
        index++;
      } else if (failure === undefined) {
        this.push(null);
      } else {
        this.destroy(failure);
      }
    },
  });
  return Object.assign(stream, { cancel: () => Promise.resolve() });
};

const matchesFilter = (filter: Filter | undefined, event: StoredEvent): boolean => {
  if (filter === undefined) return true;
  const subject = filter.filterOn === "streamName" ? event.streamId : event.type;
  return "prefixes" in filter
    ? filter.prefixes.some((prefix) => subject.startsWith(prefix))
    : new RegExp(filter.regex).test(subject);
};

const resolvedOf = (event: StoredEvent): AllStreamResolvedEvent => ({ event, commitPosition: event.position.commit });

/**
 * An in-process stand-in for the parts of @eventstore/db-client the store calls, following the server's
 * documented behaviour: optimistic concurrency with WrongExpectedVersionError, StreamNotFoundError for a
 * missing stream, $all positions that are sparse, with commit == prepare for every appended event, forward
 * readAll inclusive of `fromPosition`, backward readAll exclusive of it, subscribeToAll catch-up then live
 * with server-side filters, and the server's idempotent answer to a batch re-sent at an exact expected
 * revision (success, nothing written). It does not model the best-effort duplicate cache used for ANY.
 */
export class FakeEventStoreDbClient {
  readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly live = new Set<LiveSubscription>();
  private readonly failures: { method: Method; error: Error }[] = [];
  private nextPosition = 1_024n;
  /** Appends the server answered as already written (its idempotent-write path), for tests to observe. */
  idempotentAppends = 0;
  private gate: Promise<void> | undefined;
  /** Set to fail the next append after it has written (an ambiguous outcome: the reply was lost). */
  failAfterWrite: Error | undefined;
  disposed = false;
  /** The options of every subscribeToAll call, oldest first. */
  readonly subscribeCalls: { fromPosition?: ReadPosition; filter?: Filter }[] = [];

  asClient(): EventStoreDbClientPort {
    return this;
  }

  /** The next call of `method` fails with `error`. */
  failNext(method: Method, error: Error): void {
    this.failures.push({ method, error });
  }

  /** Holds every append until the returned function is called: lets racing writers all read before any writes. */
  holdAppends(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  liveSubscriptions(): number {
    return this.live.size;
  }

  /** Every live subscription fails with `error`, as when the connection to the server drops. */
  dropSubscriptions(error: Error): void {
    for (const subscription of [...this.live]) {
      this.live.delete(subscription);
      subscription.stream.destroy(error);
    }
  }

  /** Writes a record without any check: system events, other applications' streams, corrupt data. */
  writeRaw(
    streamId: string,
    type: string,
    data: JSONType,
    metadata?: MetadataType,
    id: string = randomUUID(),
  ): StoredEvent {
    const stream = this.streams.get(streamId) ?? [];
    this.streams.set(streamId, stream);
    const commit = this.nextPosition;
    this.nextPosition += 97n + BigInt(JSON.stringify(data).length);
    const event: StoredEvent = {
      streamId,
      id,
      isJson: true,
      revision: BigInt(stream.length),
      type,
      created: new Date(),
      data: JSON.parse(JSON.stringify(data)) as JSONType,
      metadata: metadata === undefined ? undefined : (JSON.parse(JSON.stringify(metadata)) as MetadataType),
      position: { commit, prepare: commit },
    };
    stream.push(event);
    this.log.push(event);
    for (const subscription of this.live) if (subscription.accepts(event)) subscription.stream.push(resolvedOf(event));
    return event;
  }

  private takeFailure(method: Method): Error | undefined {
    const index = this.failures.findIndex((failure) => failure.method === method);
    if (index === -1) return undefined;
    return this.failures.splice(index, 1)[0]?.error;
  }

  async appendToStream(
    streamName: string,
    events: EventData | EventData[],
    options: { expectedRevision?: AppendExpectedRevision } = {},
  ): Promise<AppendResult> {
    await nextTurn();
    await this.gate;
    const failure = this.takeFailure("appendToStream");
    if (failure !== undefined) throw failure;
    const expected = options.expectedRevision ?? ANY;
    const batch = Array.isArray(events) ? events : [events];
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);
    // The server's idempotency for an exact expected revision: the same ids already right after it -> success, nothing written.
    if (typeof expected === "bigint" || expected === NO_STREAM) {
      const start = expected === NO_STREAM ? 0 : Number(expected) + 1;
      const already = stream.slice(start, start + batch.length);
      if (
        already.length === batch.length &&
        already.length > 0 &&
        already.every((event, i) => event.id === batch[i]?.id)
      ) {
        this.idempotentAppends++;
        const last = already[already.length - 1];
        if (last !== undefined) return { success: true, nextExpectedRevision: last.revision, position: last.position };
      }
    }
    const accepted = expected === ANY || expected === current || (expected === STREAM_EXISTS && stream.length > 0);
    if (!accepted) throw new WrongExpectedVersionError(undefined, { streamName, expected, current });
    let last: StoredEvent | undefined;
    for (const event of batch) {
      if (event.contentType !== "application/json") throw new Error("the fake stores JSON events only");
      last = this.writeRaw(streamName, event.type, event.data, event.metadata, event.id);
    }
    if (this.failAfterWrite !== undefined) {
      const error = this.failAfterWrite;
      this.failAfterWrite = undefined;
      throw error;
    }
    const revision = BigInt((this.streams.get(streamName)?.length ?? 0) - 1);
    return last === undefined
      ? { success: true, nextExpectedRevision: revision }
      : { success: true, nextExpectedRevision: revision, position: last.position };
  }

  readStream(
    streamName: string,
    options: { fromRevision?: ReadRevision; direction?: Direction; maxCount?: number | bigint } = {},
  ): Readable & { cancel(): Promise<void> } {
    const failure = this.takeFailure("readStream");
    if (failure !== undefined) return readOf([], failure);
    const stream = this.streams.get(streamName);
    if (stream === undefined) return readOf([], new StreamNotFoundError(undefined, streamName));
    const from = options.fromRevision ?? START;
    const maxCount = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const ordered = options.direction === BACKWARDS ? [...stream].reverse() : stream;
    const selected = ordered.filter((event) => {
      if (from === START || from === END) return true;
      return options.direction === BACKWARDS ? event.revision <= from : event.revision >= from;
    });
    return readOf(selected.slice(0, maxCount).map((event) => ({ event, commitPosition: event.position.commit })));
  }

  readAll(
    options: { fromPosition?: ReadPosition; direction?: Direction; maxCount?: number | bigint } = {},
  ): Readable & { cancel(): Promise<void> } {
    const failure = this.takeFailure("readAll");
    if (failure !== undefined) return readOf([], failure);
    const from = options.fromPosition ?? (options.direction === BACKWARDS ? END : START);
    const maxCount = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const backwards = options.direction === BACKWARDS;
    const ordered = backwards ? [...this.log].reverse() : this.log;
    const selected = ordered.filter((event) => {
      if (from === START || from === END) return true;
      return backwards ? event.position.commit < from.commit : event.position.commit >= from.commit;
    });
    return readOf(selected.slice(0, maxCount).map(resolvedOf));
  }

  subscribeToAll(
    options: { fromPosition?: ReadPosition; filter?: Filter } = {},
  ): Readable & { unsubscribe(): Promise<void> } {
    this.subscribeCalls.push(options);
    const stream = new Readable({ objectMode: true, read: () => undefined });
    const subscription: LiveSubscription = { stream, accepts: (event) => matchesFilter(options.filter, event) };
    const unsubscribe = (): Promise<void> => {
      this.live.delete(subscription);
      return Promise.resolve();
    };
    const failure = this.takeFailure("subscribeToAll");
    if (failure !== undefined) {
      setImmediate(() => stream.destroy(failure));
      return Object.assign(stream, { unsubscribe });
    }
    const from = options.fromPosition ?? START;
    if (from !== END) {
      for (const event of this.log) {
        if (from !== START && event.position.commit <= from.commit) continue;
        if (subscription.accepts(event)) stream.push(resolvedOf(event));
      }
    }
    this.live.add(subscription);
    return Object.assign(stream, { unsubscribe });
  }

  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }
}
