import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { StoreUnavailableError, type NewEvent, type RecordedEvent, type Subscription } from "@starledger/core";
import { createPostgresEventStore, type PostgresEventStore } from "../src/index.js";
import { withAdminClient } from "../src/testing/index.js";
import { openTestStore, skipReason, type OpenedStore } from "./store-fixture.js";
import { waitUntil } from "@starledger/core/testing";

/** How long a wait on LISTEN may take: a bound for a loaded 2-core machine, not a measure of speed. */
const listenWaitMs = 20_000;

/** Nothing listens on port 1: connections are refused at once. */
const closedPortUrl = "postgres://postgres@127.0.0.1:1/test";
const shortConnectionTimeoutMs = 500;

const newEvent = (): NewEvent => ({ id: randomUUID(), type: "Outage", data: {}, metadata: { schemaVersion: 1 } });

const terminateBackends = (applicationName: string): Promise<number> =>
  withAdminClient(async (client) => {
    const result = await client.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return result.rowCount ?? 0;
  });

const listening = (applicationName: string): Promise<boolean> =>
  withAdminClient(async (client) => {
    const result = await client.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
      [applicationName],
    );
    return (result.rowCount ?? 0) > 0;
  });

describe("a store whose server cannot be reached", () => {
  const stores: PostgresEventStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  // Each failure names the refused connection: it is reported when the port refuses, not after a connection
  // timeout (whose message would say so), and without reading the machine's clock.
  it("fails to open with StoreUnavailable", async () => {
    const opened = await createPostgresEventStore({
      connectionString: closedPortUrl,
      connectionTimeoutMs: shortConnectionTimeoutMs,
    });
    expect(opened._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringMatching(/^cannot open the PostgreSQL event store: .*ECONNREFUSED/) as unknown,
    });
  });

  it("answers every call with StoreUnavailable, and readAll throws StoreUnavailableError", async () => {
    const backgroundErrors: unknown[] = [];
    const store = (
      await createPostgresEventStore({
        connectionString: closedPortUrl,
        connectionTimeoutMs: shortConnectionTimeoutMs,
        migrate: false,
        onBackgroundError: (error) => backgroundErrors.push(error),
      })
    )._unsafeUnwrap();
    stores.push(store);
    const refused = { type: "StoreUnavailable", message: expect.stringContaining("ECONNREFUSED") as unknown };
    expect((await store.appendToStream("payment-x", [newEvent()], "any"))._unsafeUnwrapErr()).toMatchObject(refused);
    expect((await store.readStream("payment-x"))._unsafeUnwrapErr()).toMatchObject(refused);
    expect((await store.headPosition())._unsafeUnwrapErr()).toMatchObject(refused);
    const reading = (async () => {
      for await (const _ of store.readAll()) throw new Error("no event can come from a closed port");
    })();
    await expect(reading).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(reading).rejects.toThrow(/ECONNREFUSED/);

    const subscription = store.subscribe({}, () => undefined);
    await waitUntil(() => backgroundErrors.length >= 2, 5_000, "the subscription and LISTEN to report failures");
    await subscription.close();
  });

  it("close is idempotent, and a closed store answers StoreUnavailable", async () => {
    const store = (await createPostgresEventStore({ connectionString: closedPortUrl, migrate: false }))._unsafeUnwrap();
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect((await store.appendToStream("payment-x", [newEvent()], "any"))._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: "the event store is closed",
    });
  });
});

const suite = skipReason === undefined ? describe : describe.skip;

suite(
  `recovery after the server drops the store's connections${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    const opened: OpenedStore[] = [];
    const subscriptions: Subscription[] = [];
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
      await Promise.all(opened.splice(0).map((o) => o.cleanup()));
    });

    it("the next append after pg_terminate_backend succeeds, and a subscriber keeps going", async () => {
      const applicationName = `sl-recovery-${randomUUID().slice(0, 8)}`;
      const backgroundErrors: unknown[] = [];
      const fixture = await openTestStore({
        applicationName,
        onBackgroundError: (error) => backgroundErrors.push(error),
      });
      opened.push(fixture);
      const { store } = fixture;
      const stream = `payment-${randomUUID()}`;
      const received: RecordedEvent[] = [];
      subscriptions.push(store.subscribe({}, (e) => void received.push(e)));
      // Several pooled connections, all idle afterwards.
      await Promise.all(
        Array.from({ length: 4 }, () => store.appendToStream(`warm-${randomUUID()}`, [newEvent()], "no_stream")),
      );
      (await store.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();
      await waitUntil(() => received.length === 5, 5_000, "5 events before the outage");

      expect(await terminateBackends(applicationName)).toBeGreaterThanOrEqual(2);

      const after = (await store.appendToStream(stream, [newEvent()], 0n))._unsafeUnwrap();
      expect(after.nextRevision).toBe(1n);
      await waitUntil(() => received.length === 6, 10_000, "the event appended after the outage");
      expect(received[5]?.position).toBe(after.position);
      expect((await store.readStream(stream))._unsafeUnwrap().events).toHaveLength(2);
      expect(backgroundErrors.length).toBeGreaterThan(0);
    });

    it("an append whose connection is killed mid-statement is retried on a fresh connection and succeeds", async () => {
      const applicationName = `sl-midcall-${randomUUID().slice(0, 8)}`;
      const fixture = await openTestStore({ applicationName });
      opened.push(fixture);
      const { store, schema } = fixture;
      const stream = `payment-${randomUUID()}`;
      (await store.appendToStream(stream, [newEvent()], "no_stream"))._unsafeUnwrap();

      const pending = await withAdminClient(async (holder) => {
        // Hold the global head so the store's append waits inside its statement.
        await holder.query("BEGIN");
        await holder.query(`UPDATE "${schema}".global_head SET position = position`);
        const append = store.appendToStream(stream, [newEvent()], 0n);
        let waitingPid: number | undefined;
        await waitUntil(
          async () => {
            waitingPid = await withAdminClient(async (admin) => {
              const waiting = await admin.query<{ pid: number }>(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                [applicationName],
              );
              return waiting.rows[0]?.pid;
            });
            return waitingPid !== undefined;
          },
          5_000,
          "the append to wait for the head lock",
        );
        await withAdminClient((admin) => admin.query("SELECT pg_terminate_backend($1)", [waitingPid]));
        await holder.query("ROLLBACK");
        return append;
      });
      expect(pending._unsafeUnwrap().nextRevision).toBe(1n);
      expect((await store.readStream(stream))._unsafeUnwrap().events.map((e) => e.revision)).toEqual([0n, 1n]);
    });

    it("LISTEN reconnects: a subscriber that never polls still hears another instance's appends after its connections were killed", async () => {
      const applicationName = `sl-listen-${randomUUID().slice(0, 8)}`;
      const writer = await openTestStore();
      opened.push(writer);
      const reader = await openTestStore({ schema: writer.schema, applicationName, pollIntervalMs: 600_000 });
      opened.push(reader);
      const received: RecordedEvent[] = [];
      subscriptions.push(reader.store.subscribe({}, (e) => void received.push(e)));
      await waitUntil(() => listening(applicationName), listenWaitMs, "the LISTEN connection");
      (await writer.store.appendToStream(`payment-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
      await waitUntil(() => received.length === 1, listenWaitMs, "the first event");

      expect(await terminateBackends(applicationName)).toBeGreaterThanOrEqual(1);
      await waitUntil(async () => !(await listening(applicationName)), listenWaitMs, "the LISTEN connection to go");
      await waitUntil(() => listening(applicationName), listenWaitMs, "the LISTEN connection to come back");

      (await writer.store.appendToStream(`payment-${randomUUID()}`, [newEvent()], "no_stream"))._unsafeUnwrap();
      await waitUntil(() => received.length === 2, listenWaitMs, "the event announced after the reconnect");
    }, 90_000);
  },
);
