export {
  eventStoreConformance,
  type ConformanceOptions,
  type StoreFactory,
  type StoreUnderTest,
} from "./event-store-conformance.js";
export { commandHandlerConformance } from "./command-handler-conformance.js";
export { CountingEventStore } from "./counting-event-store.js";
export { given } from "./given-when-then.js";
export { FaultyEventStore, allEvents, eventsOfType } from "./faulty-event-store.js";
export { collect, waitUntil } from "./wait.js";
export { propertyRuns, propertyRunsVariable, propertyTimeoutDefaultMs, propertyTimeoutMs } from "./property-runs.js";
