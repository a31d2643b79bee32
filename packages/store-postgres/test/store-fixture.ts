import { createPostgresEventStore, type PostgresEventStore, type PostgresEventStoreOptions } from "../src/index.js";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "../src/testing/index.js";

/** Resolved once per test file: undefined, or why the PostgreSQL tests are skipped. */
export const skipReason = await postgresSkipReason();

/** A pool small enough that parallel test files stay well inside max_connections. */
export const testPoolSize = 8;

export type OpenedStore = {
  readonly store: PostgresEventStore;
  readonly schema: string;
  readonly cleanup: () => Promise<void>;
};

/** Opens a store on a fresh schema; cleanup closes it and drops the schema. */
export const openTestStore = async (overrides: Partial<PostgresEventStoreOptions> = {}): Promise<OpenedStore> => {
  const schema = overrides.schema ?? randomTestSchema();
  const opened = await createPostgresEventStore({
    connectionString: postgresTestUrl,
    poolSize: testPoolSize,
    ...overrides,
    schema,
  });
  if (opened.isErr()) throw new Error(`cannot open the test store: ${opened.error.message}`);
  const store = opened.value;
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
};
