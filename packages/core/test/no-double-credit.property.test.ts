import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemoryEventStore, StarsLedger, eventHash, genesisHash } from "../src/index.js";
import {
  adminStory,
  chargeOf,
  numRuns,
  otherThan,
  ownerOf,
  paymentIds,
  rate,
  starsOf,
  story,
  timeoutMs,
  users,
  type Story,
} from "./ledger-stories.js";
import { ledgerSettings, ofType, play, type Run } from "./ledger-story-runs.js";

const check = (property: (run: Run, st: Story) => Promise<void> | void, stories: fc.Arbitrary<Story> = story) =>
  fc.assert(
    fc.asyncProperty(fc.scheduler(), stories, async (s, st) => {
      await property(await play(s, st), st);
    }),
    { numRuns, verbose: fc.VerbosityLevel.Verbose },
  );

/** The events that take a charge: whichever stream records one first holds it, for the whole ledger. */
const takings = (run: Run) =>
  run.parsed.flatMap((e) =>
    e.type === "PaymentPaid" || e.type === "ExtraChargeReceived" || e.type === "UnmatchedChargeReceived"
      ? [{ chargeId: e.data.telegramPaymentChargeId, stream: e.stream }]
      : [],
  );

describe("no payment is ever double-credited (fast-check, concurrent commands through the handler)", () => {
  it(
    "1. at most one PaymentPaid per payment, whatever the order, duplication or concurrency",
    async () => {
      await check((run) => {
        for (const id of paymentIds) {
          expect(ofType(run, "PaymentPaid").filter((e) => e.data.paymentId === id).length).toBeLessThanOrEqual(1);
        }
      });
    },
    timeoutMs,
  );

  it(
    "2. a charge id is taken once ledger-wide: credited, kept aside to refund or recorded unmatched by one stream at most",
    async () => {
      await check((run, st) => {
        const taken = takings(run);
        expect(new Set(taken.map((t) => t.chargeId)).size).toBe(taken.length);
        // Total credited <= number of distinct charge ids Telegram sent.
        const sent = new Set(
          run.outcomes.flatMap((o) =>
            o.op.kind === "pay" || o.op.kind === "payUnmatched" ? [chargeOf(st, o.op.charge)] : [],
          ),
        );
        expect(ofType(run, "PaymentPaid").length).toBeLessThanOrEqual(sent.size);
        // A conflict is recorded only for a charge another stream took before it, once per payment.
        const holder = new Map<string, string>();
        const noted = new Set<string>();
        for (const e of run.parsed) {
          if (e.type === "PaymentPaid" || e.type === "ExtraChargeReceived" || e.type === "UnmatchedChargeReceived")
            holder.set(e.data.telegramPaymentChargeId, e.stream);
          if (e.type !== "ChargeConflictRecorded") continue;
          const owner = holder.get(e.data.telegramPaymentChargeId);
          expect(owner, "a conflict for a charge nobody took").toBeDefined();
          expect(owner).not.toBe(e.stream);
          const key = `${e.stream}\u0000${e.data.telegramPaymentChargeId}`;
          expect(noted.has(key)).toBe(false);
          noted.add(key);
        }
        // Whoever was told "conflict" got nothing for it: the charge is held by another stream.
        for (const o of run.outcomes) {
          if (o.kind !== "conflict" || (o.op.kind !== "pay" && o.op.kind !== "payUnmatched")) continue;
          const chargeId = chargeOf(st, o.op.charge);
          const stream = o.op.kind === "pay" ? `payment-${paymentIds[o.op.payment] ?? ""}` : undefined;
          expect(taken.find((t) => t.chargeId === chargeId)?.stream).not.toBe(stream);
        }
      });
    },
    timeoutMs,
  );

  it(
    "3. credits granted to each user = credits of paid-and-not-refunded payments + adjustments that took effect",
    async () => {
      await check(async (run, st) => {
        const granted = new Map<number, number>();
        const add = (u: number, n: number) => granted.set(u, (granted.get(u) ?? 0) + n);
        for (const e of run.parsed) {
          if (e.type === "PaymentPaid") add(e.data.userId, e.data.credits);
          if (e.type === "PaymentRefunded") add(e.data.userId, -e.data.credits);
          if (e.type === "CreditsAdjusted") add(e.data.userId, e.data.delta);
        }
        const expected = new Map<number, number>();
        const expect_ = (u: number, n: number) => expected.set(u, (expected.get(u) ?? 0) + n);
        for (const [index, id] of paymentIds.entries()) {
          const state = await run.ledger.getPayment(id);
          if (state.isOk() && state.value.status === "PAID") expect_(state.value.userId, starsOf(st, index) * rate);
        }
        for (const o of run.outcomes)
          if (o.op.kind === "adjust" && o.ok && o.replayed !== true) expect_(o.op.user, o.op.delta);
        for (const u of users) expect(granted.get(u) ?? 0).toBe(expected.get(u) ?? 0);
        // Every credited charge was a real charge of this payment, of exactly the invoiced amount in XTR.
        for (const e of ofType(run, "PaymentPaid")) {
          const index = paymentIds.indexOf(e.data.paymentId);
          const matching = run.outcomes.filter(
            (o) =>
              o.op.kind === "pay" &&
              o.op.payment === index &&
              o.ok &&
              chargeOf(st, o.op.charge) === e.data.telegramPaymentChargeId &&
              !o.op.wrongAmount &&
              o.op.currency === "XTR",
          );
          expect(matching.length).toBeGreaterThan(0);
          expect(e.data.totalAmount).toBe(starsOf(st, index));
        }
      });
    },
    timeoutMs,
  );

  it.each([
    ["any story", story],
    ["admin requests racing on paid payments", adminStory],
  ])(
    "4. an admin's Idempotency-Key takes effect once ledger-wide; a replay matches what it replays (%s)",
    async (_name, stories) => {
      await check((run, st) => {
        const adjustedKeys = ofType(run, "CreditsAdjusted").flatMap((e) => e.data.idempotencyKey ?? []);
        expect(new Set(adjustedKeys).size).toBe(adjustedKeys.length);
        const refundKeys = ofType(run, "PaymentRefunded").flatMap((e) => e.data.idempotencyKey ?? []);
        expect(new Set(refundKeys).size).toBe(refundKeys.length);
        // The request claims the key, before Telegram is asked: one request per key, and the refund is its payment's.
        const requests = ofType(run, "RefundRequested").flatMap((e) => e.data.idempotencyKey ?? []);
        expect(new Set(requests).size).toBe(requests.length);
        for (const refund of ofType(run, "PaymentRefunded")) {
          if (refund.data.idempotencyKey === undefined) continue;
          const request = ofType(run, "RefundRequested").find(
            (e) => e.data.idempotencyKey === refund.data.idempotencyKey,
          );
          expect(request?.data.paymentId).toBe(refund.data.paymentId);
        }
        for (const o of run.outcomes) {
          if (o.op.kind === "adjust" && o.replayed === true) {
            const { user, delta, reason, key } = o.op;
            const original = ofType(run, "CreditsAdjusted").find((e) => e.data.idempotencyKey === st.keys[key ?? -1]);
            expect(original?.data).toMatchObject({ userId: user, delta, reason: reason.trim() });
          }
          // A keyed refund that answered ok refunded the payment that holds the key.
          const op = o.op;
          if (op.kind === "adminRefund" && o.ok && op.key !== null) {
            const refund = ofType(run, "PaymentRefunded").find((e) => e.data.idempotencyKey === st.keys[op.key ?? -1]);
            expect(refund?.data.paymentId).toBe(paymentIds[op.payment]);
          }
        }
      }, stories);
    },
    timeoutMs,
  );

  it(
    "5. a pre-checkout with the wrong amount, currency or user is never approved",
    async () => {
      await check((run, st) => {
        for (const approved of ofType(run, "PreCheckoutApproved")) {
          const created = ofType(run, "PaymentCreated").find((c) => c.data.paymentId === approved.data.paymentId);
          expect(created).toBeDefined();
          expect(approved.data.totalAmount).toBe(created?.data.starsAmount);
          expect(approved.data.telegramUserId).toBe(created?.data.userId);
        }
        for (const o of run.outcomes) {
          const op = o.op;
          if (op.kind !== "preCheckout") continue;
          const created = ofType(run, "PaymentCreated").find((c) => c.data.paymentId === paymentIds[op.payment]);
          const asked = op.otherUser ? otherThan(ownerOf(st, op.payment)) : ownerOf(st, op.payment);
          if (op.wrongAmount || op.currency !== "XTR" || asked !== created?.data.userId) {
            expect(o).toMatchObject({ ok: false, errorType: "PreCheckoutRefused" });
          }
        }
      });
    },
    timeoutMs,
  );

  it(
    "6. replaying the recorded events rebuilds exactly the same states, and every hash chain verifies",
    async () => {
      await check(async (run) => {
        const copy = new InMemoryEventStore();
        for (const e of run.events) {
          const { stream, revision: _r, position: _p, recordedAt: _t, ...event } = e;
          (await copy.appendToStream(stream, [event], "any"))._unsafeUnwrap();
        }
        const replayed = new StarsLedger(copy, ledgerSettings);
        for (const id of paymentIds) {
          const original = await run.ledger.getPayment(id);
          const rebuilt = await replayed.getPayment(id);
          expect(rebuilt.isOk()).toBe(original.isOk());
          if (original.isOk()) expect(rebuilt._unsafeUnwrap()).toEqual(original.value);
        }
        const lastHash = new Map<string, string>();
        for (const e of run.events) {
          const prevHash = lastHash.get(e.stream) ?? genesisHash;
          expect(e.metadata.prevHash).toBe(prevHash);
          expect(e.metadata.hash).toBe(
            eventHash({ stream: e.stream, revision: e.revision, type: e.type, data: e.data, prevHash }),
          );
          lastHash.set(e.stream, e.metadata.hash ?? "");
        }
      });
    },
    timeoutMs,
  );

  it(
    "7. every recorded sequence is one the payment rules admit (checked by an independent state machine)",
    async () => {
      await check((run) => {
        type S = {
          status: string;
          stars: number;
          credits: number;
          user: number;
          paidCharge?: string;
          extra: Map<string, boolean>;
          conflicts: Set<string>;
          /** A mismatched charge was kept aside: the next event must fail the payment for that reason. */
          failureDue: string | undefined;
        };
        const streams = new Map<string, S>();
        const holder = new Map<string, string>();
        const take = (chargeId: string, stream: string) => {
          expect(holder.has(chargeId), `charge ${JSON.stringify(chargeId)} taken twice`).toBe(false);
          holder.set(chargeId, stream);
        };
        for (const e of run.parsed) {
          if (e.type === "UnmatchedChargeReceived") take(e.data.telegramPaymentChargeId, e.stream);
          if (!e.stream.startsWith("payment-")) continue;
          const s = streams.get(e.stream);
          if (e.type === "PaymentCreated") {
            expect(s).toBeUndefined();
            streams.set(e.stream, {
              status: "PENDING",
              stars: e.data.starsAmount,
              credits: e.data.credits,
              user: e.data.userId,
              extra: new Map(),
              conflicts: new Set(),
              failureDue: undefined,
            });
            expect(e.data.credits).toBe(e.data.starsAmount * rate);
            continue;
          }
          expect(s, `${e.type} before PaymentCreated`).toBeDefined();
          if (s === undefined) return;
          if (s.failureDue !== undefined) {
            expect(e).toMatchObject({ type: "PaymentFailed", data: { reason: s.failureDue } });
            s.failureDue = undefined;
            s.status = "FAILED";
            continue;
          }
          switch (e.type) {
            case "InvoiceIssued":
            case "PreCheckoutApproved":
              expect(s.status).toBe("PENDING");
              break;
            case "PaymentPaid":
              expect(s.status).toBe("PENDING");
              take(e.data.telegramPaymentChargeId, e.stream);
              expect([e.data.totalAmount, e.data.credits, e.data.userId]).toEqual([s.stars, s.credits, s.user]);
              s.status = "PAID";
              s.paidCharge = e.data.telegramPaymentChargeId;
              break;
            case "PaymentFailed":
              expect(s.status).toBe("PENDING");
              expect(["amount_mismatch", "currency_mismatch"]).not.toContain(e.data.reason);
              s.status = "FAILED";
              break;
            case "RefundRequested":
              expect(s.status).toBe("PAID");
              expect(e.data.telegramPaymentChargeId).toBe(s.paidCharge);
              expect(e.data.starsAmount).toBe(s.stars);
              break;
            case "PaymentRefunded":
              expect(s.status).toBe("PAID");
              expect(e.data.telegramPaymentChargeId).toBe(s.paidCharge);
              expect(e.data.credits).toBe(s.credits);
              s.status = "REFUNDED";
              break;
            case "ExtraChargeReceived":
              take(e.data.telegramPaymentChargeId, e.stream);
              if (e.data.reason === "amount_mismatch" || e.data.reason === "currency_mismatch") {
                expect(s.status).toBe("PENDING");
                s.failureDue = e.data.reason;
              } else {
                expect(s.status).not.toBe("PENDING");
              }
              s.extra.set(e.data.telegramPaymentChargeId, false);
              break;
            case "ExtraChargeRefunded":
              expect(s.extra.get(e.data.telegramPaymentChargeId)).toBe(false);
              s.extra.set(e.data.telegramPaymentChargeId, true);
              break;
            case "ChargeConflictRecorded":
              expect(holder.get(e.data.telegramPaymentChargeId)).toBeDefined();
              expect(holder.get(e.data.telegramPaymentChargeId)).not.toBe(e.stream);
              expect(s.conflicts.has(e.data.telegramPaymentChargeId)).toBe(false);
              s.conflicts.add(e.data.telegramPaymentChargeId);
              break;
            default:
              throw new Error(`${e.type} on a payment stream`);
          }
        }
        for (const s of streams.values()) expect(s.failureDue).toBeUndefined();
      });
    },
    timeoutMs,
  );
});
