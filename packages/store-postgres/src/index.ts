export { PostgresEventStore, createPostgresEventStore, uniqueViolationRetries } from "./postgres-event-store.js";
export {
  PostgresEventStoreOptions,
  appendChannel,
  defaultApplicationName,
  defaultConnectionTimeoutMs,
  defaultIdleTimeoutMs,
  defaultPollIntervalMs,
  defaultPoolSize,
  defaultReadAllPageSizeEvents,
  defaultSchema,
  defaultStatementTimeoutMs,
  defaultSubscriptionBatchSizeEvents,
  schemaNameMaxLength,
  type ResolvedPostgresEventStoreOptions,
} from "./store-options.js";
export { maxAppendsPerBatch, maxEventsPerBatch, maxInFlightAppendBatches } from "./append-batcher.js";
export { brokenConnectionRetries } from "./pooled-client.js";
export { latestSchemaVersion } from "./schema-migrations.js";
export { postgresConfig, type PostgresConfig } from "./config.js";
