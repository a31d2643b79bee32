import pg from "pg";
import { invalidEventData, storeUnavailable, type InvalidEventData, type StoreUnavailable } from "@starledger/core";

/** SQLSTATE of a unique_violation: a concurrent writer got there first. */
export const uniqueViolation = "23505";

/** SQLSTATEs after which the server has closed (or will close) the session. */
const sessionEndingCodes = new Set(["57P01", "57P02", "57P03", "53300"]);

export const sqlState = (error: unknown): string | undefined =>
  error instanceof pg.DatabaseError ? error.code : undefined;

/**
 * True when the connection itself failed (socket closed, backend terminated, server shutting
 * down), as opposed to a statement the server answered with an error on a healthy session.
 */
export const isConnectionFailure = (error: unknown): boolean => {
  const code = sqlState(error);
  if (code === undefined) return true;
  return code.startsWith("08") || sessionEndingCodes.has(code);
};

export const describeError = (error: unknown): string => {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) return `${message} (SQLSTATE ${code})`;
  if (error instanceof AggregateError) {
    const inner = error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e)));
    return inner.length > 0 ? inner.join("; ") : message;
  }
  return message;
};

/**
 * SQLSTATE class 22 (data exception: a NUL in text is 22021) or 23 (integrity constraint violation) other than the
 * unique violation the store reads as a lost race: the server will refuse the same statement again.
 */
export const isDataException = (error: unknown): boolean => {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith("22") || (code.startsWith("23") && code !== uniqueViolation));
};

/**
 * A failure by kind: a data exception is a final InvalidEventData; anything else (connection lost, timeout,
 * lock or serialization failure, disk full, server shutting down...) StoreUnavailable, which the caller may retry.
 */
export const pgStoreError = (doing: string, stream: string, error: unknown): InvalidEventData | StoreUnavailable =>
  isDataException(error)
    ? invalidEventData(stream, `${doing} refused by PostgreSQL: ${describeError(error)}; nothing was written`, {
        cause: error,
      })
    : storeUnavailable(`${doing} failed: ${describeError(error)}`, error);
