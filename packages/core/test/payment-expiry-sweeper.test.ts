import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createPaymentExpirySweeper,
  expirySweepBatchMax,
  InMemoryEventStore,
  paymentStream,
  StarsLedger,
  type EventStore,
  type FindExpiredPending,
  type PaymentExpirySweeperOptions,
  type SweepReport,
  type SweeperLogFields,
} from "../src/index.js";
import { FaultyEventStore } from "../src/testing/index.js";

const ttlMs = 3_000;
const intervalMs = 30_000;
const userId = 512345678;
const paymentIdOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

/** The clock the ledger's commands read; moved by hand, independent of (fake) timers. */
class Clock {
  ms = Date.parse("2026-11-26T10:00:00.000Z");
  readonly now = (): Date => new Date(this.ms);
}

type LogLine = { level: "info" | "warn" | "error"; fields: SweeperLogFields; message: string };
const captureLogger = () => {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (fields: SweeperLogFields, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, logger: { info: at("info"), warn: at("warn"), error: at("error") } };
};

const setup = (store: EventStore = new InMemoryEventStore()) => {
  const clock = new Clock();
  const ledger = new StarsLedger(store, { starsToCreditsRate: 10, paymentTtlMs: ttlMs, requireSameUser: true });
  const created: string[] = [];
  const limitsAsked: number[] = [];
  /** An honest read side: the ledger's own state, earliest expiry first. */
  const findExpiredPending: FindExpiredPending = async (now, limit) => {
    limitsAsked.push(limit);
    const due: { paymentId: string; expiresAtMs: number }[] = [];
    for (const paymentId of created) {
      const payment = (await ledger.getPayment(paymentId))._unsafeUnwrap();
      const expiresAtMs = Date.parse(payment.expiresAt);
      if (payment.status === "PENDING" && expiresAtMs <= now.getTime()) due.push({ paymentId, expiresAtMs });
    }
    return due.sort((a, b) => a.expiresAtMs - b.expiresAtMs).map((p) => p.paymentId);
  };
  const create = async (n: number): Promise<string> => {
    const paymentId = paymentIdOf(n);
    (await ledger.createPayment({ paymentId, userId, starsAmount: 10, now: clock.now() }))._unsafeUnwrap();
    created.push(paymentId);
    return paymentId;
  };
  const { lines, logger } = captureLogger();
  const reports: SweepReport[] = [];
  let onReport: (() => void) | undefined;
  /** Resolves with the n-th turn's report, once that turn has ended. */
  const reportNumber = (n: number): Promise<SweepReport> =>
    new Promise((resolve) => {
      const check = (): void => {
        const report = reports[n - 1];
        if (report === undefined) return;
        onReport = undefined;
        resolve(report);
      };
      onReport = check;
      check();
    });
  const sweeper = (options: Partial<PaymentExpirySweeperOptions> = {}) =>
    createPaymentExpirySweeper({
      ledger,
      findExpiredPending,
      logger,
      now: clock.now,
      intervalMs,
      onSweep: (report) => {
        reports.push(report);
        onReport?.();
      },
      ...options,
    });
  const status = async (paymentId: string) => (await ledger.getPayment(paymentId))._unsafeUnwrap().status;
  const failedEvents = async (paymentId: string) =>
    (await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events.filter((e) => e.type === "PaymentFailed");
  return {
    clock,
    ledger,
    create,
    findExpiredPending,
    limitsAsked,
    lines,
    reports,
    reportNumber,
    sweeper,
    status,
    failedEvents,
  };
};

afterEach(() => {
  vi.useRealTimers();
});

describe("the payment expiry sweeper", () => {
  it("records PaymentFailed{expired} for a pending payment past its expiresAt and leaves one not yet due", async () => {
    const t = setup();
    const due = await t.create(1);
    t.clock.ms += 2_000;
    const notYet = await t.create(2);
    t.clock.ms += 1_000; // the first is exactly at its expiresAt, the second 1 s before its own

    const report = await t.sweeper().sweepOnce();

    expect(report).toEqual({ due: 1, expired: 1, unchanged: 0, failed: 0 });
    expect(await t.status(due)).toBe("FAILED");
    expect((await t.ledger.getPayment(due))._unsafeUnwrap().failureReason).toBe("expired");
    const [failed] = await t.failedEvents(due);
    expect(failed?.data).toMatchObject({ reason: "expired", failedAt: t.clock.now().toISOString() });
    expect(await t.status(notYet)).toBe("PENDING");
    expect(t.lines).toEqual([
      {
        level: "info",
        message: "Payment marked as failed",
        fields: expect.objectContaining({ paymentId: due, userId, reason: "expired" }) as unknown,
      },
    ]);
  });

  it("takes at most expirySweepBatchMax payments a turn, earliest expiry first; later turns take the rest", async () => {
    const t = setup();
    const ids: string[] = [];
    for (let n = 1; n <= 250; n++) {
      ids.push(await t.create(n));
      t.clock.ms += 1;
    }
    t.clock.ms += ttlMs;
    const sweeper = t.sweeper();

    const first = await sweeper.sweepOnce();
    expect(first).toEqual({ due: expirySweepBatchMax, expired: expirySweepBatchMax, unchanged: 0, failed: 0 });
    expect(t.limitsAsked).toEqual([expirySweepBatchMax]);
    for (const [index, paymentId] of ids.entries())
      expect(await t.status(paymentId), `payment ${index}`).toBe(index < expirySweepBatchMax ? "FAILED" : "PENDING");

    expect((await sweeper.sweepOnce()).expired).toBe(100);
    expect((await sweeper.sweepOnce()).expired).toBe(50);
    expect(await sweeper.sweepOnce()).toEqual({ due: 0, expired: 0, unchanged: 0, failed: 0 });
  });

  it("never works on more than its batch, even when the read side answers with more than it asked", async () => {
    const t = setup();
    for (let n = 1; n <= 5; n++) await t.create(n);
    t.clock.ms += ttlMs;
    const sweeper = t.sweeper({
      batchMax: 2,
      findExpiredPending: async (now) => t.findExpiredPending(now, Number.MAX_SAFE_INTEGER),
    });
    expect(await sweeper.sweepOnce()).toMatchObject({ due: 2, expired: 2 });
  });

  it("two sweepers on one store, both told of the same due payments, record each expiry exactly once", async () => {
    const t = setup();
    const ids = [await t.create(1), await t.create(2), await t.create(3)];
    const paidMeanwhile = await t.create(4);
    t.clock.ms += ttlMs;
    // Read models that lag: they keep naming the same payments, whatever the store says by now.
    const stale: FindExpiredPending = () => Promise.resolve([...ids, paidMeanwhile]);
    (
      await t.ledger.recordSuccessfulPayment({
        invoicePayload: paidMeanwhile,
        telegramPaymentChargeId: "charge-4",
        providerPaymentChargeId: "",
        currency: "XTR",
        totalAmount: 10,
        now: t.clock.now(),
      })
    )._unsafeUnwrap();
    const a = t.sweeper({ findExpiredPending: stale });
    const b = t.sweeper({ findExpiredPending: stale });

    const [ra, rb] = await Promise.all([a.sweepOnce(), b.sweepOnce()]);

    expect(ra.expired + rb.expired).toBe(3);
    expect(ra.unchanged + rb.unchanged).toBe(5);
    expect(ra.failed + rb.failed).toBe(0);
    for (const paymentId of ids) expect(await t.failedEvents(paymentId), paymentId).toHaveLength(1);
    expect(await t.status(paidMeanwhile)).toBe("PAID");
    expect(t.lines.filter((l) => l.message === "Payment marked as failed")).toHaveLength(3);

    const again = await Promise.all([a.sweepOnce(), b.sweepOnce()]);
    expect(again.map((r) => r.expired)).toEqual([0, 0]);
    for (const paymentId of ids) expect(await t.failedEvents(paymentId), paymentId).toHaveLength(1);
  });

  it("records nothing, and says nothing, when the ledger's clock finds the payment not yet expired", async () => {
    const t = setup();
    const paymentId = await t.create(1);
    // Another instance's read side runs ahead of this instance's clock.
    const sweeper = t.sweeper({ findExpiredPending: () => Promise.resolve([paymentId]) });
    expect(await sweeper.sweepOnce()).toEqual({ due: 1, expired: 0, unchanged: 1, failed: 0 });
    expect(await t.status(paymentId)).toBe("PENDING");
    expect(t.lines).toEqual([]);
  });

  it("a store outage ends the turn at the first failure; the next turn expires every payment", async () => {
    const faulty = new FaultyEventStore(new InMemoryEventStore());
    const t = setup(faulty);
    const ids = [await t.create(1), await t.create(2), await t.create(3)];
    t.clock.ms += ttlMs;
    const sweeper = t.sweeper();
    faulty.appendsDown = true;

    expect(await sweeper.sweepOnce()).toEqual({ due: 3, expired: 0, unchanged: 0, failed: 1 });
    expect(faulty.appendAttempts).toBe(4); // three creations, then one expiry attempt
    expect(t.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ error: "StoreUnavailable" }) as unknown,
      }),
    ]);

    faulty.appendsDown = false;
    expect(await sweeper.sweepOnce()).toMatchObject({ due: 3, expired: 3 });
    for (const paymentId of ids) expect(await t.status(paymentId)).toBe("FAILED");
  });

  it("sweeps at start, then once per interval, each turn reading the injected clock", async () => {
    vi.useFakeTimers();
    const t = setup();
    const paymentId = await t.create(1);
    const sweeper = t.sweeper();
    sweeper.start();
    expect(await t.reportNumber(1)).toEqual({ due: 0, expired: 0, unchanged: 0, failed: 0 });

    t.clock.ms += ttlMs;
    await vi.advanceTimersByTimeAsync(intervalMs - 1);
    expect(t.reports).toHaveLength(1);
    expect(await t.status(paymentId)).toBe("PENDING");

    await vi.advanceTimersByTimeAsync(1);
    expect(await t.reportNumber(2)).toMatchObject({ due: 1, expired: 1 });
    expect(await t.status(paymentId)).toBe("FAILED");

    await vi.advanceTimersByTimeAsync(intervalMs);
    expect(await t.reportNumber(3)).toMatchObject({ due: 0, expired: 0 });
    await sweeper.stop();
  });

  it("a backlog of full batches is swept turn after turn at once, not one batch per interval", async () => {
    vi.useFakeTimers();
    const t = setup();
    const paymentIds = await Promise.all([1, 2, 3, 4, 5].map((n) => t.create(n)));
    t.clock.ms += ttlMs;
    const sweeper = t.sweeper({ batchMax: 2 });
    sweeper.start();
    // Three turns: 2 + 2 + 1 (not full, so the loop waits for the next interval), with no time passing.
    expect(await t.reportNumber(3)).toMatchObject({ due: 1, expired: 1 });
    expect(t.reports.map((r) => r.expired)).toEqual([2, 2, 1]);
    for (const paymentId of paymentIds) expect(await t.status(paymentId)).toBe("FAILED");
    await vi.advanceTimersByTimeAsync(intervalMs - 1);
    expect(t.reports).toHaveLength(3);
    await sweeper.stop();
  });

  it("stop() during the pause resolves at once, while fake time stands still, and no turn follows", async () => {
    vi.useFakeTimers();
    const t = setup();
    const sweeper = t.sweeper();
    sweeper.start();
    await t.reportNumber(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1); // the loop is in its pause
    const fakeNow = vi.getMockedSystemTime();

    // If stop() waited for the 30 s pause, this would never resolve: fake time does not move by itself.
    await sweeper.stop();

    expect(vi.getMockedSystemTime()).toEqual(fakeNow); // fake time stood still
    expect(vi.getTimerCount()).toBe(0);
    await t.create(1);
    t.clock.ms += ttlMs;
    await vi.advanceTimersByTimeAsync(10 * intervalMs);
    expect(t.reports).toHaveLength(1);
  }, 2_000);

  it("stop() during a turn lets the payment in flight finish and leaves the rest of the batch alone", async () => {
    const t = setup();
    const ids = [await t.create(1), await t.create(2), await t.create(3)];
    t.clock.ms += ttlMs;
    let stopping: Promise<void> | undefined;
    const sweeper = createPaymentExpirySweeper({
      ledger: {
        expirePayment: (...args: Parameters<StarsLedger["expirePayment"]>) => {
          stopping ??= sweeper.stop();
          return t.ledger.expirePayment(...args);
        },
      },
      findExpiredPending: t.findExpiredPending,
      logger: captureLogger().logger,
      now: t.clock.now,
    });
    sweeper.start();
    await vi.waitUntil(() => stopping !== undefined);
    await stopping;
    expect(await Promise.all(ids.map(t.status))).toEqual(["FAILED", "PENDING", "PENDING"]);
  });

  it("a read side that throws is logged, and the next interval sweeps again", async () => {
    vi.useFakeTimers();
    const t = setup();
    await t.create(1);
    t.clock.ms += ttlMs;
    let calls = 0;
    const sweeper = t.sweeper({
      findExpiredPending: (now, limit) => {
        calls++;
        return calls === 1 ? Promise.reject(new Error("read model unavailable")) : t.findExpiredPending(now, limit);
      },
    });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(intervalMs);
    expect(await t.reportNumber(1)).toMatchObject({ expired: 1 });
    expect(t.lines[0]).toMatchObject({
      level: "error",
      fields: { err: "read model unavailable" },
      message: "Payment expiry sweep failed; tried again at the next sweep",
    });
    await sweeper.stop();
  });
});
