import { durationSetting, positiveIntSetting, type SettingsPart } from "@starledger/core";
import { z } from "zod";
import { defaultPoolSize, defaultSchema, defaultStatementTimeoutMs, schemaNameMaxLength } from "./store-options.js";

const postgresConfigSchema = z.object({
  POSTGRES_SCHEMA: z
    .string()
    .regex(new RegExp(`^[a-z_][a-z0-9_]{0,${schemaNameMaxLength - 1}}$`), {
      message: `expected a lowercase SQL identifier of at most ${schemaNameMaxLength} characters`,
    })
    .default(defaultSchema),
  POSTGRES_POOL_SIZE: positiveIntSetting("connections").default(defaultPoolSize),
  POSTGRES_STATEMENT_TIMEOUT: durationSetting("30s").default(defaultStatementTimeoutMs),
});

/** The PostgreSQL store's settings. Imports no driver, so settings are read without loading pg. */
export type PostgresConfig = z.output<typeof postgresConfigSchema>;

export const postgresConfig: SettingsPart<typeof postgresConfigSchema> = {
  schema: postgresConfigSchema,
  secretNames: [],
};
