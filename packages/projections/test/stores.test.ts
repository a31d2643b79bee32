import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StarsLedger, type EventStore } from "@starledger/core";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { createPostgresEventStore } from "@starledger/store-postgres";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createProjections, replay, type ProjectionRunner } from "../src/index.js";
import { paymentIdOf } from "./fixtures.js";
import { runSteps, step } from "./ledger-steps.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 86_400_000, requireSameUser: true };
const waitMs = 10_000;

/** A database under test: each open() is a new handle on the same data (a process restart). */
type Database = { open(): Promise<EventStore> };
/** Gives a fresh, empty database. */
type Databases = () => Promise<Database>;

const must = <T>(position: T | undefined): T => {
  if (position === undefined) throw new Error("the command wrote nothing");
  return position;
};

const buyAndPay = async (ledger: StarsLedger, n: number, userId: number, now: Date): Promise<bigint> => {
  const paymentId = paymentIdOf(n);
  const created = await ledger.createPayment({ paymentId, userId, packageId: "pkg_100", now });
  if (created.isErr()) throw new Error(created.error.type);
  const paid = await ledger.recordSuccessfulPayment({
    invoicePayload: paymentId,
    telegramPaymentChargeId: `charge-${n}`,
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: 10,
    now,
  });
  if (paid.isErr()) throw new Error(paid.error.type);
  return must(paid.value.position);
};

const runnerScenarios = (freshDatabase: Databases) => {
  const opened: EventStore[] = [];
  const runners: ProjectionRunner[] = [];
  const openOn = async (database: Database): Promise<EventStore> => {
    const store = await database.open();
    opened.push(store);
    return store;
  };
  const open = async (): Promise<EventStore> => openOn(await freshDatabase());
  const track = (runner: ProjectionRunner): ProjectionRunner => {
    runners.push(runner);
    return runner;
  };
  afterAll(async () => {
    for (const runner of runners) await runner.stop();
    for (const store of opened) await store.close();
  });

  it("catches up, follows live appends (read your own writes), restarts from its checkpoint, and equals a replay", async () => {
    const store = await open();
    const ledger = new StarsLedger(store, settings);
    const now = new Date("2025-02-01T12:00:00Z");
    await buyAndPay(ledger, 1, 501, now);
    await buyAndPay(ledger, 2, 502, now);

    const runner = track(createProjections(store));
    await runner.start();
    expect(runner.status()).toMatchObject({ caughtUp: true, position: (await store.headPosition())._unsafeUnwrap() });
    expect(runner.balances.get(501).credits).toBe(100);

    const position = await buyAndPay(ledger, 3, 501, now);
    expect(await runner.waitFor(position, waitMs)).toBe(true);
    expect(runner.balances.get(501).credits).toBe(200);
    expect(runner.payments.get(paymentIdOf(3))?.status).toBe("PAID");

    await runner.stop();
    const refundedAt = must((await ledger.refundPayment(paymentIdOf(1), "admin-1", now))._unsafeUnwrap().position);
    const adjustedAt = must(
      (
        await ledger.adjustCredits({ userId: 502, delta: -30, reason: "support", admin: "admin-1", now })
      )._unsafeUnwrap().position,
    );
    expect(runner.status().position).toBeLessThan(refundedAt);
    await runner.start();
    expect(runner.status().position).toBe(adjustedAt);
    expect(runner.balances.get(501)).toEqual({ userId: 501, credits: 100, starsPaid: 20, starsRefunded: 10 });
    expect(runner.balances.get(502).credits).toBe(70);
    expect(runner.snapshot()).toEqual((await replay(store)).models.snapshot());
    expect((await runner.progress()).headPosition).toBe(adjustedAt);
  });

  it("a new process replays from 0 to the same models, and continues live from a replay's models", async () => {
    const database = await freshDatabase();
    const first = await openOn(database);
    const ledger = new StarsLedger(first, settings);
    const now = new Date("2025-02-02T12:00:00Z");
    for (let n = 10; n < 15; n++) await buyAndPay(ledger, n, 600 + (n % 2), now);
    const before = (await replay(first)).models.snapshot();

    const second = await openOn(database);
    const replayed = await replay(second);
    expect(replayed.models.snapshot()).toEqual(before);
    const runner = track(createProjections(second, { models: replayed.models }));
    await runner.start();
    const position = await buyAndPay(new StarsLedger(second, settings), 15, 600, now);
    expect(await runner.waitFor(position, waitMs)).toBe(true);
    expect(runner.status().eventCount).toBe(replayed.eventCount + 2);
    expect(runner.snapshot()).toEqual((await replay(second)).models.snapshot());
  });

  it("for random histories made through the ledger, live equals replay", async () => {
    const histories = fc.sample(fc.array(step, { minLength: 20, maxLength: 40, size: "max" }), {
      numRuns: 3,
      seed: 42,
    });
    for (const steps of histories) {
      const store = await open();
      const ledger = new StarsLedger(store, settings);
      const live = track(createProjections(store));
      await live.start();
      await runSteps(ledger, steps, async () => {
        await live.stop();
        await live.start();
      });
      const head = (await store.headPosition())._unsafeUnwrap();
      expect(await live.waitFor(head, waitMs)).toBe(true);
      expect(live.snapshot()).toEqual((await replay(store)).models.snapshot());
      await live.stop();
    }
  });
};

describe("the runner against the SQLite store", () => {
  const directory = mkdtempSync(join(tmpdir(), "starledger-projections-"));
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });
  let files = 0;
  runnerScenarios(() => {
    const path = join(directory, `events-${++files}.db`);
    return Promise.resolve({ open: () => Promise.resolve(openSqliteEventStore({ path })) });
  });
});

const postgresUnreachable = await postgresSkipReason();
if (postgresUnreachable !== undefined) console.warn(`skipping the PostgreSQL runner tests: ${postgresUnreachable}`);

describe.skipIf(postgresUnreachable !== undefined)(
  `the runner against the PostgreSQL store${postgresUnreachable === undefined ? "" : ` (skipped: ${postgresUnreachable})`}`,
  () => {
    const schemas: string[] = [];
    afterAll(async () => {
      for (const schema of schemas) await dropSchema(schema);
    });
    runnerScenarios(() => {
      const schema = randomTestSchema("sl_projections");
      schemas.push(schema);
      return Promise.resolve({
        open: async () => {
          const opened = await createPostgresEventStore({ connectionString: postgresTestUrl, schema });
          if (opened.isErr()) throw new Error(opened.error.message);
          return opened.value;
        },
      });
    });
  },
);
