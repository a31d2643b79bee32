import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InMemoryEventStore,
  StarsLedger,
  paymentStream,
  unmatchedChargeStream,
  type EventStore,
} from "@starledger/core";
import { openSqliteEventStore } from "@starledger/store-sqlite";
import { createPostgresEventStore } from "@starledger/store-postgres";
import { dropSchema, postgresSkipReason, postgresTestUrl, randomTestSchema } from "@starledger/store-postgres/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { replay } from "../src/index.js";
import { paymentIdOf } from "./fixtures.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 86_400_000, requireSameUser: true };
const now = new Date("2025-03-01T12:00:00Z");
const owner = 701;

const charge = (invoicePayload: string, telegramPaymentChargeId: string) => ({
  invoicePayload,
  telegramPaymentChargeId,
  providerPaymentChargeId: "",
  currency: "XTR",
  totalAmount: 10,
  telegramUserId: owner,
  now,
});

const typesOn = async (store: EventStore, stream: string): Promise<string[]> =>
  (await store.readStream(stream))._unsafeUnwrap().events.map((e) => e.type);

/** The same scenarios on every store: the keys are claimed by the store's unique event ids, so each store must refuse them. */
const ledgerWideKeys = (open: () => Promise<EventStore>) => {
  const opened: EventStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const ledgerOn = async () => {
    const store = await open();
    opened.push(store);
    const ledger = new StarsLedger(store, settings, { retryPause: () => Promise.resolve() });
    for (let n = 1; n <= 4; n++)
      (
        await ledger.createPayment({ paymentId: paymentIdOf(n), userId: owner, packageId: "pkg_100", now })
      )._unsafeUnwrap();
    return { store, ledger };
  };

  it("one charge id delivered for two payments and as unmatched is credited once; the other payment shows the conflict", async () => {
    const { store, ledger } = await ledgerOn();
    expect((await ledger.recordSuccessfulPayment(charge(paymentIdOf(1), "X")))._unsafeUnwrap().kind).toBe("paid");
    expect((await ledger.recordSuccessfulPayment(charge(paymentIdOf(2), "X")))._unsafeUnwrap().kind).toBe("conflict");
    expect((await ledger.recordSuccessfulPayment(charge("not-a-payment", "X")))._unsafeUnwrap().kind).toBe("conflict");
    expect(await typesOn(store, paymentStream(paymentIdOf(2)))).toEqual(["PaymentCreated", "ChargeConflictRecorded"]);
    expect(await typesOn(store, unmatchedChargeStream("X"))).toEqual([]);

    const models = (await replay(store)).models;
    expect(models.balances.get(owner)).toMatchObject({ credits: 100, starsPaid: 10 });
    expect(models.payments.get(paymentIdOf(2))).toMatchObject({
      status: "PENDING",
      conflictingCharges: [{ telegramPaymentChargeId: "X", starsAmount: 10 }],
    });
    expect(models.stats()).toMatchObject({ purchases: 1, revenueStars: 10 });
  });

  it("one charge raced onto two payments is credited exactly once", async () => {
    const { store, ledger } = await ledgerOn();
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) => ledger.recordSuccessfulPayment(charge(paymentIdOf(3 + (i % 2)), "Y"))),
    );
    expect(outcomes.filter((o) => o._unsafeUnwrap().kind === "paid")).toHaveLength(1);
    const types = [
      ...(await typesOn(store, paymentStream(paymentIdOf(3)))),
      ...(await typesOn(store, paymentStream(paymentIdOf(4)))),
    ];
    expect(types.filter((t) => t === "PaymentPaid")).toHaveLength(1);
    expect((await replay(store)).models.balances.get(owner).credits).toBe(100);
  });

  it("an adjustment's Idempotency-Key takes effect once, and is refused for another user", async () => {
    const { store, ledger } = await ledgerOn();
    const adjustment = { userId: owner, delta: 50, reason: "ticket 42", admin: "admin-1", idempotencyKey: "t-42", now };
    const first = (await ledger.adjustCredits(adjustment))._unsafeUnwrap();
    expect((await ledger.adjustCredits(adjustment))._unsafeUnwrap()).toMatchObject({
      replayed: true,
      position: first.position,
    });
    expect((await ledger.adjustCredits({ ...adjustment, userId: owner + 1 }))._unsafeUnwrapErr().type).toBe(
      "IdempotencyConflict",
    );
    expect((await replay(store)).models.balances.get(owner).credits).toBe(50);
  });

  it("an admin refund's Idempotency-Key refunds one payment, once", async () => {
    const { store, ledger } = await ledgerOn();
    for (const [n, id] of [
      [1, "c-1"],
      [2, "c-2"],
    ] as const)
      (await ledger.recordSuccessfulPayment(charge(paymentIdOf(n), id)))._unsafeUnwrap();
    (await ledger.refundPayment(paymentIdOf(1), "admin-1", now, { idempotencyKey: "r-1" }))._unsafeUnwrap();
    (await ledger.refundPayment(paymentIdOf(1), "admin-1", now, { idempotencyKey: "r-1" }))._unsafeUnwrap();
    const other = await ledger.refundPayment(paymentIdOf(2), "admin-1", now, { idempotencyKey: "r-1" });
    expect(other._unsafeUnwrapErr().type).toBe("IdempotencyConflict");
    const models = (await replay(store)).models;
    expect(models.payments.refundedWithIdempotencyKey("r-1")?.paymentId).toBe(paymentIdOf(1));
    expect(models.payments.get(paymentIdOf(2))?.status).toBe("PAID");
    expect(models.balances.get(owner).credits).toBe(100);
  });
};

describe("ledger-wide keys on the in-memory store", () => {
  ledgerWideKeys(() => Promise.resolve(new InMemoryEventStore()));
});

describe("ledger-wide keys on the SQLite store", () => {
  const directory = mkdtempSync(join(tmpdir(), "starledger-keys-"));
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });
  let files = 0;
  ledgerWideKeys(() => Promise.resolve(openSqliteEventStore({ path: join(directory, `events-${++files}.db`) })));
});

const postgresUnreachable = await postgresSkipReason();

describe.skipIf(postgresUnreachable !== undefined)(
  `ledger-wide keys on the PostgreSQL store${postgresUnreachable === undefined ? "" : ` (skipped: ${postgresUnreachable})`}`,
  () => {
    const schemas: string[] = [];
    afterAll(async () => {
      for (const schema of schemas) await dropSchema(schema);
    });
    ledgerWideKeys(async () => {
      const schema = randomTestSchema("sl_keys");
      schemas.push(schema);
      const opened = await createPostgresEventStore({ connectionString: postgresTestUrl, schema });
      if (opened.isErr()) throw new Error(opened.error.message);
      return opened.value;
    });
  },
);
