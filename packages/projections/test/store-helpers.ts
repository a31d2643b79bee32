import {
  ledgerStreamOf,
  type EventStore,
  type JsonObject,
  type LedgerEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type EventHandler,
  type Subscription,
} from "@starledger/core";
import { randomUUID } from "node:crypto";

/** Appends each event to the stream it names; returns the last position. */
export const appendAll = async (store: EventStore, events: readonly LedgerEvent[]): Promise<bigint> => {
  let position = 0n;
  for (const event of events) position = await appendRaw(store, ledgerStreamOf(event), event.type, event.data);
  return position;
};

export const appendRaw = async (store: EventStore, stream: string, type: string, data: JsonObject): Promise<bigint> => {
  const appended = await store.appendToStream(
    stream,
    [{ id: randomUUID(), type, data, metadata: { schemaVersion: 1 } }],
    "any",
  );
  if (appended.isErr()) throw new Error(JSON.stringify(appended.error));
  return appended.value.position;
};

/**
 * A store that delivers again, before the events asked for, up to `redeliver` events at or below `after`,
 * as a subscription resuming from an older checkpoint would. Everything else is the inner store's.
 */
export const redeliveringStore = (inner: EventStore, redeliver: (after: bigint) => bigint): EventStore => ({
  readStream: (stream, options) => inner.readStream(stream, options),
  readEventById: (id) => inner.readEventById(id),
  appendToStream: (stream, events, expected) => inner.appendToStream(stream, events, expected),
  headPosition: () => inner.headPosition(),
  close: () => inner.close(),
  readAll: (options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> => {
    const after = options.after ?? 0n;
    return inner.readAll({ ...options, after: redeliver(after) });
  },
  subscribe: (options: SubscribeOptions, handler: EventHandler): Subscription => {
    const after = options.after ?? 0n;
    return inner.subscribe({ ...options, after: redeliver(after) }, handler);
  },
});
