import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { NewEvent } from "@starledger/core";
import { isDataException, pgStoreError, sqlState } from "../src/pg-errors.js";
import { withAdminClient } from "../src/testing/index.js";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";

const suite = skipReason === undefined ? describe : describe.skip;
const skipped = skipReason === undefined ? "" : ` (skipped: ${skipReason})`;

/** Runs `work` on a connection of its own and returns what the server threw. */
const refusal = (work: (client: pg.Client) => Promise<unknown>): Promise<unknown> =>
  withAdminClient(async (client) => {
    try {
      await work(client);
    } catch (error) {
      return error;
    }
    throw new Error("expected PostgreSQL to refuse");
  });

const newEvent = (type = "Fine"): NewEvent => ({ id: randomUUID(), type, data: {}, metadata: { schemaVersion: 1 } });

suite(`PostgreSQL errors by kind, provoked on the real server${skipped}`, () => {
  it("takes a lone surrogate in a text parameter and gives back U+FFFD: why the store checks before writing", async () => {
    const echoed = await withAdminClient((client) =>
      client.query<{ text: string }>("SELECT $1::text AS text", ["c\ud800"]),
    );
    expect(echoed.rows[0]?.text).toBe("c\ufffd");
  });

  it.each([
    ["a NUL in a text parameter", "22021", (c: pg.Client) => c.query("SELECT $1::text", ["unmatched-charge-c\u0000"])],
    ["a division by zero", "22012", (c: pg.Client) => c.query("SELECT 1 / 0")],
    ["JSON that does not parse", "22P02", (c: pg.Client) => c.query("SELECT $1::json", ['{"a":'])],
    ["a number out of range", "22003", (c: pg.Client) => c.query("SELECT 2147483648::int4")],
    [
      "a NOT NULL violation",
      "23502",
      async (c: pg.Client) => {
        await c.query("CREATE TEMP TABLE t (v text NOT NULL CHECK (v <> 'refused'))");
        await c.query("INSERT INTO t VALUES (NULL)");
      },
    ],
    [
      "a CHECK violation",
      "23514",
      async (c: pg.Client) => {
        await c.query("CREATE TEMP TABLE t (v text NOT NULL CHECK (v <> 'refused'))");
        await c.query("INSERT INTO t VALUES ('refused')");
      },
    ],
  ])("%s (SQLSTATE %s) is a final InvalidEventData, never StoreUnavailable", async (_what, code, work) => {
    const error = await refusal(work);
    expect(sqlState(error)).toBe(code);
    expect(isDataException(error)).toBe(true);
    expect(pgStoreError("append to payment-1", "payment-1", error)).toMatchObject({
      type: "InvalidEventData",
      stream: "payment-1",
      message: expect.stringContaining(`SQLSTATE ${code}`) as unknown,
      cause: error,
    });
  });

  it.each([
    [
      "a statement timeout",
      "57014",
      async (c: pg.Client) => {
        await c.query("SET statement_timeout = 20");
        await c.query("SELECT pg_sleep(5)");
      },
    ],
    [
      "a serialization failure",
      "40001",
      (c: pg.Client) =>
        c.query("DO $$ BEGIN RAISE EXCEPTION 'retry me' USING ERRCODE = 'serialization_failure'; END $$"),
    ],
    [
      "a deadlock",
      "40P01",
      (c: pg.Client) => c.query("DO $$ BEGIN RAISE EXCEPTION 'retry me' USING ERRCODE = 'deadlock_detected'; END $$"),
    ],
    [
      "a full disk",
      "53100",
      (c: pg.Client) => c.query("DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$"),
    ],
    ["the backend terminated", "57P01", (c: pg.Client) => c.query("SELECT pg_terminate_backend(pg_backend_pid())")],
    [
      "a unique violation, which the store reads as a lost race",
      "23505",
      async (c: pg.Client) => {
        await c.query("CREATE TEMP TABLE u (v text UNIQUE)");
        await c.query("INSERT INTO u VALUES ('a'), ('a')");
      },
    ],
  ])("%s (SQLSTATE %s) stays StoreUnavailable: it may pass", async (_what, code, work) => {
    const error = await refusal(work);
    expect(sqlState(error)).toBe(code);
    expect(isDataException(error)).toBe(false);
    expect(pgStoreError("append to payment-1", "payment-1", error).type).toBe("StoreUnavailable");
  });

  it("a refused connection (no SQLSTATE) stays StoreUnavailable", async () => {
    const client = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:1/test" });
    const error = await client.connect().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(sqlState(error)).toBeUndefined();
    expect(pgStoreError("reading payment-1", "payment-1", error).type).toBe("StoreUnavailable");
  });
});

suite(`an append PostgreSQL refuses${skipped}`, () => {
  let opened: OpenedStore | undefined;
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  it("is answered alone with a final InvalidEventData, and the appends batched with it commit", async () => {
    opened = await openTestStore();
    const { store, schema } = opened;
    await withAdminClient((c) =>
      c.query(`ALTER TABLE "${schema}".events ADD CONSTRAINT refuse CHECK (type <> 'Refused')`),
    );
    const streams = Array.from({ length: 10 }, () => `payment-${randomUUID()}`);
    const results = await Promise.all(
      streams.map((stream, i) =>
        store.appendToStream(stream, [newEvent(), newEvent(i === 6 ? "Refused" : "Fine")], "no_stream"),
      ),
    );
    expect(results[6]?._unsafeUnwrapErr()).toMatchObject({
      type: "InvalidEventData",
      stream: streams[6],
      message: expect.stringContaining("SQLSTATE 23514") as unknown,
    });
    expect(results.filter((r) => r.isOk())).toHaveLength(9);
    expect((await store.readStream(streams[6] ?? ""))._unsafeUnwrap().events).toEqual([]);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(18n);
  });
});
