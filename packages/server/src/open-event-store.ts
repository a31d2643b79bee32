import { InMemoryEventStore, type EventStore } from "@starledger/core";
import type { Config } from "./config.js";

export const supportedStoreSchemes = [
  "sqlite:PATH",
  "postgres://...",
  "postgresql://...",
  "esdb://...",
  "kurrentdb://...",
  "memory:",
] as const;

export type OpenStoreError = { readonly type: "OpenStoreError"; readonly message: string };

type StoreSettings = Pick<
  Config,
  "EVENT_STORE_URL" | "SQLITE_SYNCHRONOUS" | "POSTGRES_SCHEMA" | "POSTGRES_POOL_SIZE" | "POSTGRES_STATEMENT_TIMEOUT"
>;

/** Where an EVENT_STORE_URL points, for logs: never the password. */
export const describeStoreUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
};

/**
 * Picks the store adapter from EVENT_STORE_URL. Each adapter is imported only when chosen, so a
 * service that runs on PostgreSQL never loads the SQLite driver (and the other way round).
 */
export const openEventStore = async (
  settings: StoreSettings,
): Promise<{ ok: true; store: EventStore } | { ok: false; error: OpenStoreError }> => {
  const url = settings.EVENT_STORE_URL;
  const fail = (message: string) => ({ ok: false as const, error: { type: "OpenStoreError" as const, message } });
  try {
    if (url === "memory:") return { ok: true, store: new InMemoryEventStore() };
    if (url.startsWith("sqlite:")) {
      const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
      if (path === "") return fail("EVENT_STORE_URL sqlite: needs a file path, e.g. sqlite:./data/starledger.db");
      const { openSqliteEventStore } = await import("@starledger/store-sqlite");
      return { ok: true, store: openSqliteEventStore({ path, synchronous: settings.SQLITE_SYNCHRONOUS }) };
    }
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      const { createPostgresEventStore } = await import("@starledger/store-postgres");
      const opened = await createPostgresEventStore({
        connectionString: url,
        schema: settings.POSTGRES_SCHEMA,
        poolSize: settings.POSTGRES_POOL_SIZE,
        statementTimeoutMs: settings.POSTGRES_STATEMENT_TIMEOUT,
      });
      if (opened.isErr())
        return fail(`PostgreSQL store at ${describeStoreUrl(url)} is unavailable: ${opened.error.message}`);
      return { ok: true, store: opened.value };
    }
    if (/^(esdb|kurrentdb)(\+discover)?:\/\//.test(url)) {
      const { createEventStoreDbEventStore } = await import("@starledger/store-eventstoredb");
      return { ok: true, store: createEventStoreDbEventStore({ url }) };
    }
  } catch (error) {
    return fail(
      `Could not open the event store at ${describeStoreUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return fail(`Unsupported EVENT_STORE_URL "${describeStoreUrl(url)}". Supported: ${supportedStoreSchemes.join(", ")}`);
};
