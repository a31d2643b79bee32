import { afterEach, describe, expect, it, vi } from "vitest";
import type { RecordedEvent } from "../src/event-store.js";
import { pause } from "../src/pause.js";
import { defaultMaxRetryDelayMs, runSubscription, type SubscriptionSource } from "../src/subscription-loop.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A store that is down: every read fails. Counts the reads and when (fake) time they came. */
const storeDown = () => {
  const readAtMs: number[] = [];
  const source: SubscriptionSource = {
    readBatch: (): Promise<readonly RecordedEvent[]> => {
      readAtMs.push(Date.now());
      return Promise.reject(new Error("store down (test)"));
    },
    waitForAppend: (timeoutMs, signal) => pause(timeoutMs, signal),
  };
  return { source, readAtMs };
};

describe("runSubscription during a store outage", () => {
  it("retries a failed read after 10 ms, doubling the wait up to maxRetryDelayMs", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { source, readAtMs } = storeDown();
    const startMs = Date.now();
    const errors: unknown[] = [];
    const subscription = runSubscription(source, {}, () => undefined, {
      maxRetryDelayMs: 100,
      onTransientError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(readAtMs.map((ms) => ms - startMs)).toEqual([0, 10, 30, 70, 150, 250, 350, 450]);
    expect(errors).toHaveLength(readAtMs.length);
    await subscription.close();
  });

  it("close() during the backoff resolves at once, while fake time stands still, and no read follows", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { source, readAtMs } = storeDown();
    const subscription = runSubscription(source, {}, () => undefined);
    // Long enough for the backoff to reach its cap: the loop now sleeps 5 s between reads.
    await vi.advanceTimersByTimeAsync(4 * defaultMaxRetryDelayMs);
    const lastGapMs = (readAtMs.at(-1) ?? 0) - (readAtMs.at(-2) ?? 0);
    expect(lastGapMs).toBe(defaultMaxRetryDelayMs);
    expect(vi.getTimerCount()).toBe(1);
    const fakeNowMs = Date.now();
    const reads = readAtMs.length;

    let closed = false;
    const closing = subscription.close().then(() => {
      closed = true;
    });
    // Runs what is ready without moving fake time: a close() that waited for the backoff would still be open.
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(true);
    expect(Date.now()).toBe(fakeNowMs);
    expect(vi.getTimerCount()).toBe(0);

    await vi.advanceTimersByTimeAsync(10 * defaultMaxRetryDelayMs);
    await closing;
    expect(readAtMs).toHaveLength(reads);
  });
});
