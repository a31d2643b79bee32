import { err, type Result } from "neverthrow";
import {
  invalidEventData,
  storeUnavailable,
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
} from "../event-store.js";
import { collect } from "./wait.js";

/** The global setTimeout, not node:timers/promises, so a test's fake timers (vi.useFakeTimers) control the delays. */
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Wraps a store so a test can take it down or slow it: `down` fails reads, appends and headPosition like an
 * unreachable database; `readsDown` / `appendsDown` fail only those; `appendsRefused` refuses the data, for good;
 * delays make reads or subscribers lag.
 */
export class FaultyEventStore implements EventStore {
  down = false;
  readsDown = false;
  /** The command reads and decides, then cannot write. */
  appendsDown = false;
  /** The database refuses every append's data, as PostgreSQL does a NUL (SQLSTATE 22021): a final error. */
  appendsRefused = false;
  readDelayMs = 0;
  /** Every append waits this long before it reaches the store: a slow disk or database. */
  appendDelayMs = 0;
  /** Subscribers receive each event this much later: read models that lag behind the store. */
  subscriptionDelayMs = 0;
  appendAttempts = 0;

  constructor(readonly inner: EventStore) {}

  async readStream(stream: string, options?: ReadStreamOptions): Promise<Result<StreamRead, StoreError>> {
    if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    if (this.down || this.readsDown) return err(storeUnavailable("reads are down (test)"));
    return this.inner.readStream(stream, options);
  }

  async readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    if (this.down || this.readsDown) return err(storeUnavailable("reads are down (test)"));
    return this.inner.readEventById(id);
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    this.appendAttempts++;
    if (this.appendDelayMs > 0) await sleep(this.appendDelayMs);
    if (this.down || this.appendsDown) return err(storeUnavailable("appends are down (test)"));
    if (this.appendsRefused) return err(invalidEventData(stream, `append to ${stream} refused by the database (test)`));
    return this.inner.appendToStream(stream, events, expectedRevision);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.inner.subscribe(options, async (event) => {
      if (this.subscriptionDelayMs > 0) await sleep(this.subscriptionDelayMs);
      await handler(event);
    });
  }

  headPosition(): Promise<Result<bigint, StoreError>> {
    if (this.down) return Promise.resolve(err(storeUnavailable("the store is down (test)")));
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every recorded event, in global order. */
export const allEvents = (store: EventStore): Promise<RecordedEvent[]> => collect(store.readAll());

export const eventsOfType = async (store: EventStore, type: string): Promise<RecordedEvent[]> =>
  (await allEvents(store)).filter((event) => event.type === type);
