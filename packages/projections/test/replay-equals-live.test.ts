import {
  creditAccountDecider,
  creditsStream,
  InMemoryEventStore,
  StarsLedger,
  unmatchedChargeDecider,
  unmatchedChargeStream,
  type RecordedEvent,
} from "@starledger/core";
import { propertyRuns, propertyTimeoutMs } from "@starledger/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createProjections, LedgerReadModels, replay, type ReadModelsSnapshot } from "../src/index.js";
import { runSteps, step, unmatchedChargeIdOf, users } from "./ledger-steps.js";
import { redeliveringStore } from "./store-helpers.js";

/** A small deterministic PRNG, so fast-check shrinks the batch schedule through its seed. */
const prng = (seed: number) => {
  let state = seed >>> 0;
  return (max: number): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % (max + 1);
  };
};

/** Feeds the events in random batches, each starting up to 5 events before the checkpoint (redeliveries). */
const replayInBatches = (events: readonly RecordedEvent[], seed: number): ReadModelsSnapshot => {
  const random = prng(seed);
  const models = new LedgerReadModels();
  let next = 0;
  while (next < events.length) {
    const start = next - random(Math.min(next, 5));
    const size = 1 + random(9);
    for (const event of events.slice(start, next + size)) models.apply(event);
    next = Math.min(events.length, next + size);
  }
  return models.snapshot();
};

/** Every event type comes up within 23 histories for 30 seeds out of 30; 60 keep the check below from flaking. */
const defaultRuns = 60;

describe("replay == live", () => {
  const seenTypes = new Map<string, number>();

  it(
    "for histories made through the ledger's use cases: live, full replay and batched replay with redeliveries agree, and balances match the ledger",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 60, size: "max" }),
          fc.nat({ max: 4 }),
          fc.integer(),
          async (steps, redeliver, seed) => {
            const store = new InMemoryEventStore();
            const ledger = new StarsLedger(store, {
              starsToCreditsRate: 10,
              paymentTtlMs: 86_400_000,
              requireSameUser: true,
            });
            const live = createProjections(
              redeliveringStore(store, (after) => (after > BigInt(redeliver) ? after - BigInt(redeliver) : 0n)),
            );
            await live.start();
            try {
              const paymentIds = await runSteps(ledger, steps, async () => {
                await live.stop();
                await live.start();
              });
              const head = await store.headPosition();
              if (head.isErr()) throw new Error("head");
              expect(await live.waitFor(head.value, 5_000)).toBe(true);
              expect(live.status().failed).toBeUndefined();

              const replayed = await replay(store);
              const liveSnapshot = live.snapshot();
              expect(liveSnapshot).toEqual(replayed.models.snapshot());
              const events: RecordedEvent[] = [];
              for await (const event of store.readAll()) events.push(event);
              for (const event of events) seenTypes.set(event.type, (seenTypes.get(event.type) ?? 0) + 1);
              expect(replayInBatches(events, seed)).toEqual(liveSnapshot);
              expect(replayed.eventCount).toBe(events.length);
              const range = { from: new Date("2025-01-01T06:00:00Z"), to: new Date("2025-01-02T06:00:00Z") };
              expect(live.stats()).toEqual(replayed.models.stats());
              expect(live.stats(range)).toEqual(replayed.models.stats(range));

              // The oracle: the ledger's own state of each stream.
              const expected = new Map(
                users.map((userId) => [userId as number, { credits: 0, starsPaid: 0, starsRefunded: 0 }]),
              );
              let adjustments = 0;
              for (const userId of users) {
                const account = await ledger.handler.load(creditAccountDecider, creditsStream(userId));
                if (account.isErr()) throw new Error("credits stream");
                const balance = expected.get(userId);
                if (balance !== undefined) balance.credits += account.value.state.adjustmentsTotal;
                adjustments += account.value.state.adjustmentsTotal;
              }
              for (const paymentId of paymentIds) {
                const state = await ledger.getPayment(paymentId);
                if (state.isErr()) throw new Error("payment");
                const payment = state.value;
                const view = live.payments.get(paymentId);
                expect(view).toMatchObject({
                  paymentId,
                  userId: payment.userId,
                  status: payment.status,
                  starsAmount: payment.starsAmount,
                  credits: payment.credits,
                  invoiceLink: payment.invoiceLink ?? null,
                  telegramPaymentChargeId: payment.paidChargeId ?? null,
                  failureReason: payment.failureReason ?? null,
                });
                expect(
                  new Map(
                    view?.extraCharges.map((c) => [
                      c.telegramPaymentChargeId,
                      { totalAmount: c.starsAmount, refunded: c.refunded },
                    ]),
                  ),
                ).toEqual(payment.uncreditedCharges);
                expect(new Set(view?.conflictingCharges.map((c) => c.telegramPaymentChargeId))).toEqual(
                  payment.conflictingCharges,
                );
                expect(view?.refundIdempotencyKey ?? undefined).toBe(payment.refundIdempotencyKey);
                if (payment.paidChargeId !== undefined)
                  expect(view?.payerTelegramUserId ?? view?.userId).toBe(payment.payerUserId);
                const balance = expected.get(payment.userId);
                if (balance === undefined) throw new Error("user");
                if (payment.status === "PAID") balance.credits += payment.credits;
                if (payment.status === "PAID" || payment.status === "REFUNDED")
                  balance.starsPaid += payment.starsAmount;
                if (payment.status === "REFUNDED") balance.starsRefunded += payment.starsAmount;
              }
              for (const [userId, balance] of expected)
                expect(live.balances.get(userId)).toEqual({ userId, ...balance });
              expect(live.balances.totalCredits()).toBe([...expected.values()].reduce((sum, b) => sum + b.credits, 0));
              expect(live.stats().creditsIssued).toBe(live.balances.totalCredits() - adjustments);
              expect(live.payments.count()).toBe(paymentIds.length);

              for (let c = 0; c <= 2; c++) {
                const loaded = await ledger.handler.load(
                  unmatchedChargeDecider,
                  unmatchedChargeStream(unmatchedChargeIdOf(c)),
                );
                if (loaded.isErr()) throw new Error("unmatched stream");
                const view = live.unmatchedCharges.get(unmatchedChargeIdOf(c));
                if (loaded.value.state.status === "NONE") expect(view).toBeUndefined();
                else expect(view?.refunded).toBe(loaded.value.state.status === "REFUNDED");
              }
            } finally {
              await live.stop();
            }
          },
        ),
        { numRuns: propertyRuns(defaultRuns) },
      );
      // The generator must reach every event type, or the property proves less than it says.
      expect([...seenTypes.keys()].sort()).toEqual(
        [
          "ChargeConflictRecorded",
          "CreditsAdjusted",
          "ExtraChargeReceived",
          "ExtraChargeRefunded",
          "InvoiceIssued",
          "PaymentCreated",
          "PaymentFailed",
          "PaymentPaid",
          "PaymentRefunded",
          "PreCheckoutApproved",
          "RefundRequested",
          "UnmatchedChargeReceived",
          "UnmatchedChargeRefunded",
        ].sort(),
      );
    },
    propertyTimeoutMs(defaultRuns),
  );
});
