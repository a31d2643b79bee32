import type { Result } from "neverthrow";
import type {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreError,
  StreamRead,
  SubscribeOptions,
  Subscription,
} from "../event-store.js";

/** Wraps a store and counts the round trips a command handler makes: stream reads, reads by id, appends. */
export class CountingEventStore implements EventStore {
  streamReads = 0;
  readsById = 0;
  appends = 0;
  /** Events the stream reads returned, in all. */
  eventsRead = 0;
  /** Reads from a revision past 0 that found newer events: a cached state catching up with another writer. */
  catchUps = 0;
  /** The fromRevision of each stream read, in order (0n when none was given). */
  readonly readFrom: bigint[] = [];

  constructor(readonly inner: EventStore) {}

  /** Stream reads and reads by id. */
  get reads(): number {
    return this.streamReads + this.readsById;
  }

  reset(): void {
    this.streamReads = 0;
    this.readsById = 0;
    this.appends = 0;
    this.eventsRead = 0;
    this.catchUps = 0;
    this.readFrom.length = 0;
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<Result<StreamRead, StoreError>> {
    this.streamReads++;
    this.readFrom.push(options?.fromRevision ?? 0n);
    const read = await this.inner.readStream(stream, options);
    if (read.isOk()) this.eventsRead += read.value.events.length;
    if (read.isOk() && read.value.events.length > 0 && (options?.fromRevision ?? 0n) > 0n) this.catchUps++;
    return read;
  }

  readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    this.readsById++;
    return this.inner.readEventById(id);
  }

  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    this.appends++;
    return this.inner.appendToStream(stream, events, expectedRevision);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.inner.subscribe(options, handler);
  }

  headPosition(): Promise<Result<bigint, StoreError>> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
