import Database from "better-sqlite3";
import { storeUnavailable, type StoreUnavailable } from "@starledger/core";

type SqliteError = InstanceType<typeof Database.SqliteError>;

/** A UNIQUE/NOT NULL/CHECK violation: the outcome of one append, never a reason to fail its batch-mates. */
export const isConstraintError = (error: unknown): error is SqliteError =>
  error instanceof Database.SqliteError && error.code.startsWith("SQLITE_CONSTRAINT");

/** SQLITE_BUSY, an I/O error, a full disk, a closed handle: the store cannot answer now; the caller may retry. */
export const sqliteUnavailable = (what: string, error: unknown): StoreUnavailable => {
  const code = error instanceof Database.SqliteError ? ` (${error.code})` : "";
  const detail = error instanceof Error ? error.message : String(error);
  return storeUnavailable(`sqlite ${what} failed${code}: ${detail}`, error);
};
