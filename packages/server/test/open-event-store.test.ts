import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryEventStore, type EventStore } from "@starledger/core";
import { PostgresEventStore } from "@starledger/store-postgres";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { SqliteEventStore } from "@starledger/store-sqlite";
import { EventStoreDbEventStore } from "@starledger/store-eventstoredb";
import { afterAll, describe, expect, it } from "vitest";
import { describeStoreUrl, openEventStore, parseConfig } from "../src/index.js";

const settings = (url: string, extra: Record<string, string> = {}) =>
  parseConfig({ EVENT_STORE_URL: url, ...extra })._unsafeUnwrap();
const dir = mkdtempSync(join(tmpdir(), "starledger-open-"));
const opened: EventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const open = async (url: string, extra: Record<string, string> = {}): Promise<EventStore> => {
  const result = await openEventStore(settings(url, extra));
  if (!result.ok) throw new Error(result.error.message);
  opened.push(result.store);
  return result.store;
};

describe("choosing a store from EVENT_STORE_URL", () => {
  it("memory: is the in-memory store", async () => {
    expect(await open("memory:")).toBeInstanceOf(InMemoryEventStore);
  });

  it("sqlite:PATH opens (and creates) the SQLite file", async () => {
    const store = await open(`sqlite:${join(dir, "nested", "ledger.db")}`);
    expect(store).toBeInstanceOf(SqliteEventStore);
    expect(
      (
        await store.appendToStream(
          "payment-x",
          [{ id: crypto.randomUUID(), type: "T", data: {}, metadata: { schemaVersion: 1 } }],
          "no_stream",
        )
      ).isOk(),
    ).toBe(true);
  });

  it("esdb:// and kurrentdb:// are the EventStoreDB store (connecting lazily)", async () => {
    expect(await open("esdb://127.0.0.1:1?tls=false")).toBeInstanceOf(EventStoreDbEventStore);
    expect(await open("kurrentdb://127.0.0.1:1?tls=false")).toBeInstanceOf(EventStoreDbEventStore);
  });

  it("an unreachable PostgreSQL is a clear error naming the store without its password", async () => {
    const result = await openEventStore(settings("postgres://app:hunter2@127.0.0.1:1/ledger"));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toContain(
        "PostgreSQL store at postgres://app:***@127.0.0.1:1/ledger is unavailable",
      );
      expect(result.error.message).not.toContain("hunter2");
    }
  });

  it("an unknown scheme is refused by the settings, listing the supported ones", () => {
    const error = parseConfig({ EVENT_STORE_URL: "mysql://x" })._unsafeUnwrapErr();
    expect(error.message).toMatch(
      /EVENT_STORE_URL: expected a URL starting with one of sqlite:, postgres:\/\/, .*memory:/,
    );
  });

  it("describeStoreUrl hides passwords", () => {
    expect(describeStoreUrl("postgres://u:secret@h:5432/d")).toBe("postgres://u:***@h:5432/d");
    expect(describeStoreUrl("sqlite:./data/x.db")).toBe("sqlite:./data/x.db");
  });
});

const pgSkip = await postgresSkipReason();
describe.skipIf(pgSkip !== undefined)(
  `postgres:// with POSTGRES_SCHEMA${pgSkip === undefined ? "" : ` (skipped: ${pgSkip})`}`,
  () => {
    const schema = randomTestSchema("sl_open");
    afterAll(async () => {
      await dropSchema(schema);
    });
    it("opens the PostgreSQL store in the configured schema", async () => {
      const store = await open(postgresTestUrl, { POSTGRES_SCHEMA: schema, POSTGRES_POOL_SIZE: "2" });
      expect(store).toBeInstanceOf(PostgresEventStore);
      expect(store instanceof PostgresEventStore && store.schema).toBe(schema);
      expect((await store.headPosition())._unsafeUnwrap()).toBe(0n);
    });
  },
);
