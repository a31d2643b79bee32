import { randomInt, randomUUID } from "node:crypto";
import type { Result } from "neverthrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventStore } from "../event-store.js";
import { eventHash, genesisHash } from "../hash-chain.js";
import { StarsLedger } from "../stars-ledger.js";
import { creditsStream, paymentStream } from "../streams.js";
import { CountingEventStore } from "./counting-event-store.js";
import type { StoreFactory } from "./event-store-conformance.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 24 * 3_600_000, requireSameUser: true };
const now = new Date("2026-11-26T10:00:00.000Z");
const noPause = { retryPause: () => Promise.resolve() };

const newUserId = (): number => randomInt(1_000_000, 2 ** 40);

const paid = (paymentId: string, telegramUserId: number, telegramPaymentChargeId = `charge-${randomUUID()}`) => ({
  invoicePayload: paymentId,
  telegramPaymentChargeId,
  providerPaymentChargeId: "",
  currency: "XTR",
  totalAmount: 10,
  telegramUserId,
  now,
});

/** Every event of the stream continues the hash chain of the one before: no writer lost its place in it. */
const expectUnbrokenChain = async (store: EventStore, stream: string): Promise<void> => {
  let prevHash = genesisHash;
  for (const e of (await store.readStream(stream))._unsafeUnwrap().events) {
    expect(e.metadata.prevHash, `${e.type} at ${String(e.revision)}`).toBe(prevHash);
    expect(e.metadata.hash).toBe(eventHash({ stream, revision: e.revision, type: e.type, data: e.data, prevHash }));
    prevHash = e.metadata.hash ?? "";
  }
};

/**
 * The command handler's cached state on a real store: a command on a current stream costs its append and nothing
 * else; a state another instance moved on from is caught up by reading only the newer events, whatever the
 * decision on the stale state was; a burst of commands on one stream is batched. Run by each store's tests.
 */
export const commandHandlerConformance = (name: string, factory: StoreFactory, skipReason?: string): void => {
  const suite = skipReason === undefined ? describe : describe.skip;
  suite(
    `CommandHandler with cached state: ${name}${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
    () => {
      let store: EventStore;
      let cleanup: (() => Promise<void>) | undefined;
      beforeEach(async () => {
        const made = await factory();
        store = made.store;
        cleanup = made.cleanup;
      });
      afterEach(async () => {
        await store.close();
        await cleanup?.();
      });
      /** Two ledgers over the store, as two server instances; the first counts what it asks of the store. */
      const twoInstances = () => {
        const counting = new CountingEventStore(store);
        return {
          counting,
          first: new StarsLedger(counting, settings, noPause),
          second: new StarsLedger(store, settings, noPause),
        };
      };

      it("a command on a cached, current stream reads nothing: its append is its only round trip", async () => {
        const counting = new CountingEventStore(store);
        const ledger = new StarsLedger(counting, settings, noPause);
        const paymentId = randomUUID();
        const userId = newUserId();
        const costs: { command: string; reads: number; appends: number }[] = [];
        const step = async (command: string, run: () => Promise<Result<unknown, unknown>>) => {
          counting.reset();
          expect((await run()).isOk(), command).toBe(true);
          costs.push({ command, reads: counting.reads, appends: counting.appends });
        };
        await step("create (a new stream)", () => ledger.createPayment({ paymentId, userId, starsAmount: 10, now }));
        await step("invoice", () => ledger.recordInvoiceIssued(paymentId, "https://t.me/$x", now));
        const preCheckout = { invoicePayload: paymentId, queryId: "q1", telegramUserId: userId, currency: "XTR", now };
        await step("pre-checkout", () => ledger.answerPreCheckout({ ...preCheckout, totalAmount: 10 }));
        await step("paid", () => ledger.recordSuccessfulPayment(paid(paymentId, userId)));
        for (let n = 0; n < 5; n++) {
          await step(`adjust ${n}`, () => ledger.adjustCredits({ userId, delta: 1, reason: "r", admin: "a", now }));
        }
        expect(costs).toEqual(costs.map(({ command }) => ({ command, reads: 0, appends: 1 })));
        // A refusal may come from a stale state, so it looks once for newer events (there are none here) and writes nothing.
        counting.reset();
        const refused = await ledger.answerPreCheckout({ ...preCheckout, queryId: "q2", totalAmount: 11 });
        expect(refused._unsafeUnwrapErr()).toMatchObject({ type: "PreCheckoutRefused" });
        expect([counting.streamReads, counting.eventsRead, counting.appends]).toEqual([1, 0, 0]);
      });

      it("a stream another instance wrote to: the stale state's decision with events loses the race, reads only the new event, and appends on it", async () => {
        const { counting, first, second } = twoInstances();
        const userId = newUserId();
        const adjust = (delta: number) => ({ userId, delta, reason: "r", admin: "a", now });
        for (const delta of [1, 2, 3]) (await first.adjustCredits(adjust(delta)))._unsafeUnwrap();
        (await second.adjustCredits(adjust(10)))._unsafeUnwrap();
        counting.reset();
        const adjusted = (await first.adjustCredits(adjust(100)))._unsafeUnwrap();
        expect(adjusted.adjustmentsTotal).toBe(116);
        expect({ appends: counting.appends, readFrom: counting.readFrom, eventsRead: counting.eventsRead }).toEqual({
          appends: 2,
          readFrom: [3n],
          eventsRead: 1,
        });
        await expectUnbrokenChain(store, creditsStream(userId));
      });

      it("a stream another instance wrote to: a refusal on the stale state is read again and decided on the current one", async () => {
        const { counting, first, second } = twoInstances();
        const paymentId = randomUUID();
        const userId = newUserId();
        (await first.createPayment({ paymentId, userId, starsAmount: 10, now }))._unsafeUnwrap();
        (await second.recordSuccessfulPayment(paid(paymentId, userId)))._unsafeUnwrap();
        counting.reset();
        // Refunding the payment this instance last saw pending would be refused (not paid): it is paid now.
        const refunded = (await first.refundPayment(paymentId, "admin", now))._unsafeUnwrap();
        expect(refunded.payment.status).toBe("REFUNDED");
        expect({ readFrom: counting.readFrom, eventsRead: counting.eventsRead, appends: counting.appends }).toEqual({
          readFrom: [1n],
          eventsRead: 1,
          appends: 1,
        });
        await expectUnbrokenChain(store, paymentStream(paymentId));
      });

      it("a stream another instance wrote to: an empty decision on the stale state is answered from the current one", async () => {
        const { counting, first, second } = twoInstances();
        const paymentId = randomUUID();
        const userId = newUserId();
        (await first.createPayment({ paymentId, userId, starsAmount: 10, now }))._unsafeUnwrap();
        (await first.recordInvoiceIssued(paymentId, "https://t.me/$one", now))._unsafeUnwrap();
        (await second.recordSuccessfulPayment(paid(paymentId, userId)))._unsafeUnwrap();
        counting.reset();
        // The same link again: nothing to do, on this instance's state as on the current one, which is paid.
        const issued = (await first.recordInvoiceIssued(paymentId, "https://t.me/$one", now))._unsafeUnwrap();
        expect(issued.payment.status).toBe("PAID");
        expect(issued.position).toBeUndefined();
        expect({ readFrom: counting.readFrom, eventsRead: counting.eventsRead, appends: counting.appends }).toEqual({
          readFrom: [2n],
          eventsRead: 1,
          appends: 0,
        });
      });

      it("64 concurrent commands on one stream, some sent twice: each applied once, in a few appends, none gives up", async () => {
        const counting = new CountingEventStore(store);
        const ledger = new StarsLedger(counting, settings, noPause);
        const userId = newUserId();
        const request = (key: string) => ({
          userId,
          delta: 1 + (key.length % 7),
          reason: "burst",
          admin: "a",
          idempotencyKey: key,
          now,
        });
        const before = ["p0", "p1", "p2", "p3"];
        for (const key of before) (await ledger.adjustCredits(request(key)))._unsafeUnwrap();
        const fresh = Array.from({ length: 48 }, (_, n) => `n${n}`);
        // 48 new keys, 12 of them sent twice within the burst, and the 4 keys recorded before it sent again.
        const keys = [...fresh, ...fresh.slice(0, 12), ...before];
        const order = keys.map((key, index) => ({ key, at: (index * 37) % keys.length }));
        order.sort((x, y) => x.at - y.at);
        counting.reset();
        const outcomes = await Promise.all(order.map(({ key }) => ledger.adjustCredits(request(key))));
        const answered = outcomes.map((o) => o._unsafeUnwrap());
        expect(answered.filter((a) => a.replayed)).toHaveLength(16);
        const recorded = (await store.readStream(creditsStream(userId)))._unsafeUnwrap().events;
        const recordedKeys = recorded.map((e) => (e.data as { idempotencyKey?: string }).idempotencyKey);
        expect(recordedKeys.slice().sort()).toEqual([...before, ...fresh].sort());
        const total = [...before, ...fresh].reduce((sum, key) => sum + request(key).delta, 0);
        expect(Math.max(...answered.map((a) => a.adjustmentsTotal))).toBe(total);
        // One batch: each key recorded before it refuses one append (the store names it, the batch looks it up and
        // answers it as a replay), then one append carries the 48 new adjustments.
        expect(counting.appends, `appends for ${keys.length} commands`).toBe(before.length + 1);
        expect(counting.readsById, "lookups: the 4 refused ids, then the 12 replays within the burst").toBe(16);
        await expectUnbrokenChain(store, creditsStream(userId));
      });
    },
  );
};
