import type { SettingsPart } from "@starledger/core";
import { z } from "zod";

const sqliteConfigSchema = z.object({
  SQLITE_SYNCHRONOUS: z
    .enum(["FULL", "NORMAL"], { error: () => 'expected "FULL" (an acknowledged append is on disk) or "NORMAL"' })
    .default("FULL"),
});

/** The SQLite store's settings. Imports no driver, so settings are read without loading better-sqlite3. */
export type SqliteConfig = z.output<typeof sqliteConfigSchema>;

export const sqliteConfig: SettingsPart<typeof sqliteConfigSchema> = { schema: sqliteConfigSchema, secretNames: [] };
