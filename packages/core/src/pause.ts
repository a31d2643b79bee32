/**
 * Waits `ms`, or less: resolves at once when `signal` aborts, so a loop's wait never holds up its stop() or
 * close(). Never rejects. Built on the global setTimeout, so fake timers drive it in tests.
 */
export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done);
  });
