import { z } from "zod";

export const defaultSchema = "starledger";
export const defaultPoolSize = 10;
export const defaultStatementTimeoutMs = 30_000;
export const defaultConnectionTimeoutMs = 5_000;
export const defaultIdleTimeoutMs = 30_000;
export const defaultPollIntervalMs = 1_000;
export const defaultReadAllPageSizeEvents = 1_000;
export const defaultSubscriptionBatchSizeEvents = 500;
export const defaultApplicationName = "starledger";

/** Longest schema name: the NOTIFY channel `<schema>_appended` must fit PostgreSQL's 63-byte identifiers. */
export const schemaNameMaxLength = 48;
const schemaNamePattern = /^[a-z_][a-z0-9_]*$/;

const positiveInt = z.number().int().positive();

/** How to open a PostgresEventStore. Everything but the connection string has a default. */
export const PostgresEventStoreOptions = z.object({
  /** `postgres://user@host:port/db`; any libpq-style URL the `pg` driver accepts. */
  connectionString: z.string().min(1, "connectionString is required"),
  /** Schema holding the store's tables; created on open. Lowercase identifier, at most 48 characters. */
  schema: z
    .string()
    .max(schemaNameMaxLength, `schema must be at most ${schemaNameMaxLength} characters`)
    .regex(schemaNamePattern, "schema must be a lowercase SQL identifier: [a-z_][a-z0-9_]*")
    .default(defaultSchema),
  /** Most pooled connections (the LISTEN connection is one more). */
  poolSize: positiveInt.max(1_000).default(defaultPoolSize),
  /** Server-side statement_timeout for every pooled connection. */
  statementTimeoutMs: positiveInt.default(defaultStatementTimeoutMs),
  /** How long to wait for a new connection before the call fails as StoreUnavailable. */
  connectionTimeoutMs: positiveInt.default(defaultConnectionTimeoutMs),
  /** An idle pooled connection is closed after this long. */
  idleTimeoutMs: positiveInt.default(defaultIdleTimeoutMs),
  /** Subscribers re-read at least this often, whether or not a NOTIFY arrived. */
  pollIntervalMs: positiveInt.default(defaultPollIntervalMs),
  /** Events per query when readAll iterates. */
  readAllPageSizeEvents: positiveInt.max(100_000).default(defaultReadAllPageSizeEvents),
  /** Events per query when a subscription catches up. */
  subscriptionBatchSizeEvents: positiveInt.max(100_000).default(defaultSubscriptionBatchSizeEvents),
  /** Run the versioned migrations on open. Off: trust that the schema is there, and do not connect until first used. */
  migrate: z.boolean().default(true),
  /** Shown in pg_stat_activity. */
  applicationName: z.string().max(63).default(defaultApplicationName),
  /** Told about errors that are handled here and not returned to a caller (idle connections dropped, LISTEN reconnects). */
  onBackgroundError: z.custom<(error: unknown) => void>((value) => typeof value === "function").optional(),
});

export type PostgresEventStoreOptions = z.input<typeof PostgresEventStoreOptions>;
export type ResolvedPostgresEventStoreOptions = z.output<typeof PostgresEventStoreOptions>;

/** The name of the NOTIFY channel a schema's appends are announced on. */
export const appendChannel = (schema: string): string => `${schema}_appended`;
