import type { EventStore } from "@starledger/core";
import type { Metrics } from "@starledger/http-adapter";

/** Measures appendToStream latency into a histogram; everything else passes through. */
export const timedEventStore = (store: EventStore, appendSeconds: Metrics["storeAppendSeconds"]): EventStore => ({
  readStream: (stream, options) => store.readStream(stream, options),
  readEventById: (id) => store.readEventById(id),
  appendToStream: async (stream, events, expected) => {
    const stop = appendSeconds.startTimer();
    const result = await store.appendToStream(stream, events, expected);
    stop({ outcome: result.isOk() ? "ok" : result.error.type });
    return result;
  },
  readAll: (options) => store.readAll(options),
  subscribe: (options, handler) => store.subscribe(options, handler),
  headPosition: () => store.headPosition(),
  close: () => store.close(),
});
