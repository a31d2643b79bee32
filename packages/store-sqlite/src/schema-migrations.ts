import type { Database } from "better-sqlite3";

export type Migration = { readonly version: number; readonly name: string; readonly sql: string };

/** Append-only: a released migration is never edited; a schema change is a new version. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "events table",
    sql: `
      CREATE TABLE events (
        position    INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT    NOT NULL UNIQUE,
        stream      TEXT    NOT NULL,
        revision    INTEGER NOT NULL CHECK (revision >= 0),
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        metadata    TEXT    NOT NULL,
        recorded_at TEXT    NOT NULL,
        UNIQUE (stream, revision)
      ) STRICT;
    `,
  },
  {
    // Reading turned each row's ISO text back into a Date, a quarter of the store's own cost per row on replay;
    // from integer milliseconds that is one allocation. STRICT tables cannot change a column's type, so the table
    // is rebuilt: same rows, same positions, and the AUTOINCREMENT high-water mark carried over. A recorded_at
    // SQLite cannot read as a time leaves NULL, which NOT NULL refuses: the migration then fails whole.
    version: 2,
    name: "recorded_at as integer milliseconds",
    sql: `
      CREATE TABLE events_v2 (
        position    INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT    NOT NULL UNIQUE,
        stream      TEXT    NOT NULL,
        revision    INTEGER NOT NULL CHECK (revision >= 0),
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        metadata    TEXT    NOT NULL,
        recorded_at INTEGER NOT NULL,
        UNIQUE (stream, revision)
      ) STRICT;
      INSERT INTO events_v2 (position, id, stream, revision, type, data, metadata, recorded_at)
        SELECT position, id, stream, revision, type, data, metadata, CAST(round(unixepoch(recorded_at, 'subsec') * 1000) AS INTEGER)
        FROM events ORDER BY position;
      DELETE FROM sqlite_sequence WHERE name = 'events_v2';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'events_v2', seq FROM sqlite_sequence WHERE name = 'events';
      DROP TABLE events;
      ALTER TABLE events_v2 RENAME TO events;
    `,
  },
];

export const latestSchemaVersion = migrations.reduce((latest, m) => Math.max(latest, m.version), 0);

export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
}

/**
 * Brings the file to the latest schema inside one write transaction, so two processes opening the
 * same new file apply each migration once. Returns the versions applied now.
 */
export const migrate = (db: Database, now: () => Date = () => new Date()): number[] =>
  db
    .transaction((): number[] => {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
      ) STRICT`);
      const current = db.prepare<[], number | null>("SELECT MAX(version) FROM schema_migrations").pluck().get() ?? 0;
      if (current > latestSchemaVersion) {
        throw new SchemaTooNewError(
          `database ${db.name} has schema version ${current}; this build knows up to ${latestSchemaVersion}`,
        );
      }
      const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      const applied: number[] = [];
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        db.exec(migration.sql);
        record.run(migration.version, migration.name, now().toISOString());
        applied.push(migration.version);
      }
      return applied;
    })
    .immediate();
