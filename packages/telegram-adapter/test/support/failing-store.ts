import type {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  RecordedEvent,
  StoreError,
  StreamRead,
  SubscribeOptions,
  Subscription,
} from "@starledger/core";
import { storeUnavailable } from "@starledger/core";
import { err, type Result } from "neverthrow";
import { setTimeout as sleep } from "node:timers/promises";

/** Wraps a store: appends and/or reads can be made to fail, or to take a while. */
export class FailingStore implements EventStore {
  failAppends = false;
  failReads = false;
  readDelayMs = 0;
  appendAttempts = 0;

  constructor(readonly inner: EventStore) {}

  async readStream(stream: string): Promise<Result<StreamRead, StoreError>> {
    if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    if (this.failReads) return err(storeUnavailable("reads are down (test)"));
    return this.inner.readStream(stream);
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    this.appendAttempts++;
    if (this.failAppends) return err(storeUnavailable("appends are down (test)"));
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

/** Every recorded event, in global order. */
export const allEvents = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
};

export const eventsOfType = async (store: EventStore, type: string): Promise<RecordedEvent[]> =>
  (await allEvents(store)).filter((event) => event.type === type);
