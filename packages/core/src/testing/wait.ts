import { setTimeout as sleep } from "node:timers/promises";

/** Everything an async iterable yields, in order. */
export const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};

/** Polls `condition` until it holds; throws after `timeoutMs`, naming `what`. */
export const waitUntil = async (
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = "condition",
  pollMs = 5,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
};
