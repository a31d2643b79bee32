import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from "./event-store.js";
import { pause } from "./pause.js";

/** One subscriber's view of an AppendNotifier: remembers an append that came while it was not waiting. */
export type AppendListener = {
  /** Resolves at once if something was appended since the last wait, else on the next append, timeout or abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void>;
  dispose(): void;
};

/** Wakes subscribers when this process appends. */
export class AppendNotifier {
  private readonly listeners = new Set<{ dirty: boolean; wake: (() => void) | undefined }>();

  notify(): void {
    for (const listener of this.listeners) {
      listener.dirty = true;
      listener.wake?.();
    }
  }

  listen(): AppendListener {
    const listener: { dirty: boolean; wake: (() => void) | undefined } = { dirty: false, wake: undefined };
    this.listeners.add(listener);
    return {
      wait: (timeoutMs, signal) =>
        new Promise((resolve) => {
          if (listener.dirty || signal.aborted) {
            listener.dirty = false;
            resolve();
            return;
          }
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            listener.wake = undefined;
            listener.dirty = false;
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          signal.addEventListener("abort", done);
          listener.wake = done;
        }),
      dispose: () => {
        listener.wake?.();
        this.listeners.delete(listener);
      },
    };
  }
}

export type SubscriptionSource = {
  /** Events with position > after, in global order, at most `limit`. May throw when the store is unavailable. */
  readonly readBatch: (after: bigint, limit: number) => Promise<readonly RecordedEvent[]>;
  /** Resolves when new events may be there (or after timeoutMs, to catch other processes' appends). */
  readonly waitForAppend: (timeoutMs: number, signal: AbortSignal) => Promise<void>;
};

export type SubscriptionLoopOptions = {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  /** Upper bound of the wait between retries when the store is unavailable. */
  readonly maxRetryDelayMs?: number;
  /** Called on each failed read that will be retried. */
  readonly onTransientError?: (error: unknown) => void;
};

export const defaultSubscriptionBatchSize = 500;
export const defaultPollIntervalMs = 1000;
export const defaultMaxRetryDelayMs = 5000;
/** The first wait after a failed read; each further failure doubles it, up to maxRetryDelayMs. */
export const firstRetryDelayMs = 10;

/**
 * Catch up from `after`, then follow live appends: every event once, in order, the handler awaited
 * before the next. A failed read is retried with capped backoff, a wait that close() cuts short; a handler
 * that throws stops the subscription and is reported through onError.
 */
export const runSubscription = (
  source: SubscriptionSource,
  options: SubscribeOptions,
  handler: EventHandler,
  loop: SubscriptionLoopOptions = {},
): Subscription => {
  const batchSize = loop.batchSize ?? defaultSubscriptionBatchSize;
  const pollIntervalMs = loop.pollIntervalMs ?? defaultPollIntervalMs;
  const maxRetryDelayMs = loop.maxRetryDelayMs ?? defaultMaxRetryDelayMs;
  const abort = new AbortController();
  const stopped = (): boolean => abort.signal.aborted;
  let cursor = options.after ?? 0n;

  const run = async (): Promise<void> => {
    let retryDelayMs = firstRetryDelayMs;
    while (!abort.signal.aborted) {
      let batch: readonly RecordedEvent[];
      try {
        batch = await source.readBatch(cursor, batchSize);
        retryDelayMs = firstRetryDelayMs;
      } catch (error) {
        loop.onTransientError?.(error);
        await pause(retryDelayMs, abort.signal);
        retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
        continue;
      }
      for (const event of batch) {
        if (stopped()) return;
        if (event.position <= cursor) continue;
        try {
          await handler(event);
        } catch (error) {
          abort.abort();
          options.onError?.(error);
          return;
        }
        cursor = event.position;
      }
      if (batch.length < batchSize) await source.waitForAppend(pollIntervalMs, abort.signal);
    }
  };

  const running = run();
  return {
    close: async () => {
      abort.abort();
      await running;
    },
  };
};
