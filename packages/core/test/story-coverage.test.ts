import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemoryEventStore, type EventStore } from "../src/index.js";
import { propertyTimeoutDefaultMs } from "../src/testing/index.js";
import { adminStory, story, type Story } from "./ledger-stories.js";
import { racingLedgers, runWave, scheduled } from "./ledger-story-runs.js";

// The no-double-credit properties prove only what their stories reach: these fix a seed and count what came up.

/** What a run of `stories` reached: event types written and outcomes answered, counted. */
const reached = async (stories: fc.Arbitrary<Story>, runs: number): Promise<Map<string, number>> => {
  const seen = new Map<string, number>();
  const bump = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), stories, async (s, st) => {
      let conflicts = 0;
      const counting = (inner: EventStore): EventStore => ({
        ...scheduled(inner, s),
        appendToStream: s.scheduleFunction(async function appendToStream(
          ...args: Parameters<EventStore["appendToStream"]>
        ) {
          const result = await inner.appendToStream(...args);
          if (result.isErr() && result.error.type === "ConcurrencyError") conflicts++;
          return result;
        }),
      });
      const store = new InMemoryEventStore();
      const ledgers = racingLedgers(counting(store));
      for (const wave of st.waves) {
        for (const o of await s.waitFor(runWave(ledgers, st, wave))) {
          if (o.kind === "conflict") bump(`${o.op.kind} conflict`);
          if (o.replayed === true) bump("adjust replayed");
          if (o.errorType === "IdempotencyConflict") bump(`${o.op.kind} key conflict`);
          // A lone surrogate or NUL never reaches an event: the store refuses what it could not read back.
          if (o.errorType === "InvalidEventData") bump("refused ill-formed text");
        }
      }
      for await (const e of store.readAll()) {
        bump(e.type);
        const chargeId = (e.data as { telegramPaymentChargeId?: string }).telegramPaymentChargeId ?? "";
        if (e.type === "PaymentPaid" && /[^\x20-\x7e]/.test(chargeId)) bump("credited non-ASCII charge id");
      }
      if (conflicts > 0) bump("lost race");
    }),
    { numRuns: runs, seed: 42 },
  );
  return seen;
};

describe("the stories reach the cases that matter", () => {
  it(
    "generated stories include credits, redeliveries, extra charges, refunds, refusals, lost races, shared charges and awkward text",
    async () => {
      const seen = await reached(story, 300);
      for (const key of [
        "PaymentPaid",
        "ExtraChargeReceived",
        "ExtraChargeRefunded",
        "RefundRequested",
        "PaymentRefunded",
        "PreCheckoutApproved",
        "PaymentFailed",
        "CreditsAdjusted",
        "UnmatchedChargeReceived",
        "UnmatchedChargeRefunded",
        "ChargeConflictRecorded",
        "pay conflict",
        "payUnmatched conflict",
        "adjust replayed",
        "adjust key conflict",
        "credited non-ASCII charge id",
        "refused ill-formed text",
        "lost race",
      ]) {
        expect(seen.get(key) ?? 0, `${key} in 300 stories`).toBeGreaterThan(5);
      }
    },
    propertyTimeoutDefaultMs,
  );

  it(
    "admin stories send keys again for the same and for other targets, in races",
    async () => {
      const seen = await reached(adminStory, 100);
      for (const key of [
        "PaymentRefunded",
        "adjust replayed",
        "adjust key conflict",
        "adminRefund key conflict",
        "lost race",
      ]) {
        expect(seen.get(key) ?? 0, `${key} in 100 admin stories`).toBeGreaterThan(5);
      }
    },
    propertyTimeoutDefaultMs,
  );
});
