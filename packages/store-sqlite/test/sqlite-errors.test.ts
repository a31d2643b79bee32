import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDataError, sqliteStoreError } from "../src/sqlite-errors.js";
import { tempDatabase } from "./temp-database.js";

/** The error SQLite itself throws for `run` on a scratch database. */
const thrownBy = (db: Database.Database, run: (db: Database.Database) => unknown): unknown => {
  try {
    run(db);
  } catch (error) {
    return error;
  }
  throw new Error("expected SQLite to refuse");
};

describe("SQLite errors by kind, provoked on a real database", () => {
  let path: string;
  let cleanup: () => Promise<void>;
  const open: Database.Database[] = [];
  const connect = (): Database.Database => {
    const db = new Database(path, { timeout: 0 });
    open.push(db);
    return db;
  };

  beforeEach(async () => {
    ({ path, cleanup } = await tempDatabase());
    connect().exec(`
      CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (length(v) < 8));
      CREATE TRIGGER refuse BEFORE INSERT ON t WHEN NEW.v = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END;
    `);
  });
  afterEach(async () => {
    for (const db of open.splice(0)) db.close();
    await cleanup();
  });

  it.each([
    ["SQLITE_TOOBIG", (db: Database.Database) => db.prepare("SELECT zeroblob(2000000000)").get()],
    ["SQLITE_MISMATCH", (db: Database.Database) => db.prepare("INSERT INTO t VALUES ('x', 'a')").run()],
    ["SQLITE_CONSTRAINT_NOTNULL", (db: Database.Database) => db.prepare("INSERT INTO t VALUES (1, NULL)").run()],
    ["SQLITE_CONSTRAINT_CHECK", (db: Database.Database) => db.prepare("INSERT INTO t VALUES (1, 'too long')").run()],
    ["SQLITE_CONSTRAINT_TRIGGER", (db: Database.Database) => db.prepare("INSERT INTO t VALUES (1, 'refused')").run()],
  ])("%s is a final InvalidEventData naming the code", (code, run) => {
    const error = thrownBy(connect(), run);
    expect(error).toMatchObject({ code });
    expect(isDataError(error)).toBe(true);
    expect(sqliteStoreError("append", "payment-1", error)).toMatchObject({
      type: "InvalidEventData",
      stream: "payment-1",
      message: expect.stringContaining(code) as unknown,
      cause: error,
    });
  });

  it("a held write lock (SQLITE_BUSY), a missing table and a closed handle stay StoreUnavailable", () => {
    const holder = connect();
    holder.exec("BEGIN IMMEDIATE");
    const busy = thrownBy(connect(), (db) => db.prepare("INSERT INTO t VALUES (1, 'a')").run());
    expect(busy).toMatchObject({ code: "SQLITE_BUSY" });
    holder.exec("ROLLBACK");
    const missing = thrownBy(connect(), (db) => db.prepare("SELECT * FROM gone").get());
    const closed = connect();
    closed.close();
    const notOpen = thrownBy(closed, (db) => db.prepare("SELECT 1").get());
    for (const error of [busy, missing, notOpen]) {
      expect(isDataError(error)).toBe(false);
      expect(sqliteStoreError("append", "payment-1", error).type).toBe("StoreUnavailable");
    }
  });
});
