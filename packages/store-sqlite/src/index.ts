export {
  openSqliteEventStore,
  SqliteEventStore,
  sqliteStoreDefaults,
  type SqliteEventStoreOptions,
  type GroupCommitStats,
} from "./sqlite-event-store.js";
export { migrations, latestSchemaVersion, SchemaTooNewError, type Migration } from "./schema-migrations.js";
export { sqliteConfig, type SqliteConfig } from "./config.js";
