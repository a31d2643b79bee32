import { streamNameFilter, type AllStreamSubscription, type EventStoreDBClient } from "@eventstore/db-client";
import {
  StoreUnavailableError,
  streamPrefixes,
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
} from "@starledger/core";
import { isLedgerEvent, parseRecordedEvent, toReadPosition } from "./event-mapping.js";
import { isTransientError } from "./store-errors.js";

export type LedgerSubscriptionOptions = {
  /** First wait before resubscribing after a dropped connection; doubles up to maxRetryDelayMs. */
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** Called with each failure the subscription will retry. */
  readonly onTransientError?: ((error: unknown) => void) | undefined;
};

const ignore = (): void => undefined;

const stop = async (subscription: AllStreamSubscription): Promise<void> => {
  await subscription.unsubscribe().catch(ignore);
  // Cancelling the gRPC call does not end the stream piped from it; destroying it ends the for-await.
  subscription.destroy();
};

/**
 * Catch-up then live over `subscribeToAll`, filtered on the server to the ledger's stream prefixes.
 * The stream is iterated with for-await and the handler awaited inside the loop, so events reach the
 * handler one at a time, in $all order. A dropped connection resubscribes from the last delivered
 * position (capped backoff); events at or before it are skipped, so none is delivered twice. A handler
 * that throws, an unreadable ledger event, or a permanent server error (access denied...) stops the
 * subscription and goes to onError.
 */
export const subscribeToLedger = (
  client: Pick<EventStoreDBClient, "subscribeToAll">,
  options: SubscribeOptions,
  handler: EventHandler,
  settings: LedgerSubscriptionOptions,
): Subscription => {
  let cursor = options.after ?? 0n;
  let closed = false;
  let current: AllStreamSubscription | undefined;
  let wake: (() => void) | undefined;
  // Read through a call: close() and fail() flip it while run() is suspended at an await.
  const isClosed = (): boolean => closed;

  const fail = (error: unknown): void => {
    closed = true;
    options.onError?.(error);
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const run = async (): Promise<void> => {
    let retryDelayMs = settings.initialRetryDelayMs;
    while (!isClosed()) {
      let subscription: AllStreamSubscription | undefined;
      try {
        subscription = client.subscribeToAll({
          fromPosition: toReadPosition(cursor),
          filter: streamNameFilter({ prefixes: [...streamPrefixes] }),
        });
        // Errors reach the for-await below; this keeps one emitted after we let go from crashing the process.
        subscription.on("error", ignore);
        current = subscription;
        for await (const resolved of subscription) {
          if (isClosed()) return;
          if (!isLedgerEvent(resolved)) continue;
          const parsed = parseRecordedEvent(resolved);
          if (parsed.isErr()) {
            fail(new StoreUnavailableError(`EventStoreDB subscription stopped: ${parsed.error}`));
            return;
          }
          const event = parsed.value;
          if (event.position <= cursor) continue;
          try {
            await handler(event);
          } catch (error) {
            fail(error);
            return;
          }
          cursor = event.position;
          retryDelayMs = settings.initialRetryDelayMs;
        }
      } catch (error) {
        if (isClosed()) return;
        if (!isTransientError(error)) {
          fail(error);
          return;
        }
        settings.onTransientError?.(error);
      } finally {
        current = undefined;
        if (subscription !== undefined) await stop(subscription);
      }
      if (isClosed()) return;
      await pause(retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, settings.maxRetryDelayMs);
    }
  };

  const running = run().catch(fail);
  return {
    close: async () => {
      closed = true;
      wake?.();
      if (current !== undefined) await stop(current);
      await running;
    },
  };
};
