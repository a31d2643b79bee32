import { randomBytes } from "node:crypto";
import pg from "pg";

/** The database tests use: DATABASE_URL, else the local trust-auth server. */
export const postgresTestUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** How long the reachability probe waits for a connection. */
export const probeTimeoutMs = 2_000;

/** A fresh schema name per test, so tests sharing one database never see each other's events. */
export const randomTestSchema = (prefix = "sl_test"): string => `${prefix}_${randomBytes(6).toString("hex")}`;

/** Runs SQL on a short-lived connection of its own. */
export const withAdminClient = async <T>(
  work: (client: pg.Client) => Promise<T>,
  connectionString = postgresTestUrl,
): Promise<T> => {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: probeTimeoutMs });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

export const dropSchema = async (schema: string, connectionString = postgresTestUrl): Promise<void> => {
  await withAdminClient(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
  }, connectionString);
};

/**
 * undefined when PostgreSQL answers, else why the tests are skipped. With STARLEDGER_REQUIRE_PG=1
 * an unreachable server is an error instead of a skip.
 */
export const postgresSkipReason = async (connectionString = postgresTestUrl): Promise<string | undefined> => {
  try {
    await withAdminClient((client) => client.query("SELECT 1"), connectionString);
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL unreachable at ${connectionString}: ${error instanceof Error ? error.message || error.name : String(error)}`;
    if (process.env.STARLEDGER_REQUIRE_PG === "1") throw new Error(`${reason} (STARLEDGER_REQUIRE_PG=1)`);
    return reason;
  }
};
