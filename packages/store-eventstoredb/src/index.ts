export {
  createEventStoreDbEventStore,
  EventStoreDbEventStore,
  eventStoreDbDefaults,
  type EventStoreDbClientPort,
  type EventStoreDbEventStoreOptions,
  type EventStoreDbTuning,
} from "./eventstoredb-event-store.js";
export { normalizeEventStoreUrl, eventStoreUrlSchemes, InvalidEventStoreUrlError } from "./connection-url.js";
export { toEsdbExpectedRevision } from "./esdb-revisions.js";
export { toStoreError } from "./store-errors.js";
