import { setImmediate as nextTurn } from "node:timers/promises";
import type pg from "pg";
import { isConnectionFailure } from "./pg-errors.js";

/**
 * Attempts after the first when a pooled connection turns out to be dead mid-call (the server
 * restarted, the backend was terminated): the pool then drops it and the next attempt connects anew.
 */
export const brokenConnectionRetries = 2;

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown; readonly connected: boolean };

/**
 * Runs `work` on one pooled connection. The connection goes back to the pool unless it failed, in
 * which case it is destroyed. (`pool.query` would destroy it on any error, even a unique violation.)
 */
const attemptOnClient = async <T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<Attempt<T>> => {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    return { ok: false, error, connected: false };
  }
  let broken: Error | undefined;
  // Without a listener, an 'error' on a checked-out client would be an unhandled 'error' event.
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on("error", onError);
  try {
    return { ok: true, value: await work(client) };
  } catch (error) {
    if (isConnectionFailure(error)) broken ??= asError(error);
    return { ok: false, error, connected: true };
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
};

/** What onPooledClient returns: the value, and whether an earlier attempt died after being sent. */
export type PooledOutcome<T> = { readonly value: T; readonly afterBrokenAttempt: boolean };

/**
 * Runs `work` on a pooled connection, and again (up to brokenConnectionRetries times) when the
 * connection it was handed broke during the call. Only pass work that is safe to repeat: reads,
 * and appends (a repeated append is recognised by its event ids). `afterBrokenAttempt` tells the
 * caller that a previous attempt may have taken effect. Rejects with the last error.
 */
export const onPooledClient = async <T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<PooledOutcome<T>> => {
  for (let attempt = 0; ; attempt++) {
    const outcome = await attemptOnClient(pool, work);
    if (outcome.ok) return { value: outcome.value, afterBrokenAttempt: attempt > 0 };
    const retry = outcome.connected && attempt < brokenConnectionRetries && isConnectionFailure(outcome.error);
    if (!retry) throw outcome.error;
    // Let the socket events of other dead idle connections arrive, so the pool evicts them first.
    await nextTurn();
  }
};
