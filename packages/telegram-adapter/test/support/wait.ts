import { setTimeout as sleep } from "node:timers/promises";

/** Polls until `check` holds, failing the test after `timeoutMs`. */
export const waitUntil = async (check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = "condition"): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
};
