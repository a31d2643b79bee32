import Database from "better-sqlite3";
import { invalidEventData, storeUnavailable, type InvalidEventData, type StoreUnavailable } from "@starledger/core";

type SqliteError = InstanceType<typeof Database.SqliteError>;

/** Result codes (primary, so every extended SQLITE_CONSTRAINT_* too) for a value SQLite will never take as given. */
const dataErrorCodes = ["SQLITE_CONSTRAINT", "SQLITE_TOOBIG", "SQLITE_MISMATCH"];

/**
 * A constraint, size or type error: the outcome of one append, never a reason to fail its batch-mates, and the
 * same append would fail again. SQLITE_BUSY, I/O errors, a full disk or a closed handle are not: those may pass.
 */
export const isDataError = (error: unknown): error is SqliteError =>
  error instanceof Database.SqliteError &&
  dataErrorCodes.some((code) => error.code === code || error.code.startsWith(`${code}_`));

const describe = (what: string, error: unknown): string => {
  const code = error instanceof Database.SqliteError ? ` (${error.code})` : "";
  const detail = error instanceof Error ? error.message : String(error);
  return `sqlite ${what} failed${code}: ${detail}`;
};

/** SQLITE_BUSY, an I/O error, a full disk, a closed handle: the store cannot answer now; the caller may retry. */
export const sqliteUnavailable = (what: string, error: unknown): StoreUnavailable =>
  storeUnavailable(describe(what, error), error);

/** A failure by kind: a data error is a final InvalidEventData, anything else StoreUnavailable. */
export const sqliteStoreError = (what: string, stream: string, error: unknown): InvalidEventData | StoreUnavailable =>
  isDataError(error)
    ? invalidEventData(stream, `${describe(what, error)}; nothing was written`, { cause: error })
    : sqliteUnavailable(what, error);
