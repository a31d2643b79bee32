import { randomBytes } from "node:crypto";
import pg from "pg";

/** The database the tests use: DATABASE_URL, else the local trust-auth server. */
export const postgresUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh schema per test file, so files sharing one database never see each other's events. */
export const randomSchema = (): string => `sl_http_${randomBytes(6).toString("hex")}`;

const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

export const dropSchema = async (schema: string): Promise<void> => {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
};

/** Why the PostgreSQL tests are skipped, or undefined when the server answers. STARLEDGER_REQUIRE_PG=1 turns a skip into a failure. */
export const postgresSkipReason = async (): Promise<string | undefined> => {
  try {
    await withClient((client) => client.query("SELECT 1"));
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL unreachable at ${postgresUrl}: ${error instanceof Error ? error.message || error.name : String(error)}`;
    if (process.env.STARLEDGER_REQUIRE_PG === "1") throw new Error(`${reason} (STARLEDGER_REQUIRE_PG=1)`);
    return reason;
  }
};
