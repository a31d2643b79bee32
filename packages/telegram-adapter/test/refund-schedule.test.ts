import type { EventOf, LedgerEvent } from "@starledger/core";
import { describe, expect, it } from "vitest";
import {
  afterFailedAttempt,
  emptyRefundSchedule,
  evolveRefundSchedule,
  nextRefundTurn,
  refundRecordOf,
  type DueRefund,
  type RefundRetryPolicy,
  type RefundSchedule,
} from "../src/refund-schedule.js";

const paymentId = "6f1c2a7e-1d2b-4c3d-8e9f-0a1b2c3d4e5f";
const requestedAt = "2026-03-01T10:00:00.000Z";
const graceMs = 600_000;
const requestDueMs = Date.parse(requestedAt) + graceMs;

const extra = (chargeId: string): EventOf<"ExtraChargeReceived"> => ({
  type: "ExtraChargeReceived",
  data: {
    paymentId,
    reason: "invoice_already_paid",
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    telegramUserId: 777,
    currency: "XTR",
    totalAmount: 10,
    receivedAt: requestedAt,
  },
});
const extraRefunded = (chargeId: string): LedgerEvent => ({
  type: "ExtraChargeRefunded",
  data: { paymentId, telegramPaymentChargeId: chargeId, totalAmount: 10, refundedAt: requestedAt },
});
const unmatched = (chargeId: string, payer?: number): LedgerEvent => ({
  type: "UnmatchedChargeReceived",
  data: {
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    invoicePayload: "not-a-payment",
    currency: "XTR",
    totalAmount: 25,
    ...(payer === undefined ? {} : { telegramUserId: payer }),
    receivedAt: requestedAt,
  },
});
const unmatchedRefunded = (chargeId: string): LedgerEvent => ({
  type: "UnmatchedChargeRefunded",
  data: { telegramPaymentChargeId: chargeId, totalAmount: 25, refundedAt: requestedAt },
});
const requested = (idempotencyKey?: string): LedgerEvent => ({
  type: "RefundRequested",
  data: {
    paymentId,
    telegramPaymentChargeId: "c1",
    telegramUserId: 777,
    starsAmount: 10,
    admin: "user:1",
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    requestedAt,
  },
});
const refunded = (refundedBy: "admin" | "telegram"): LedgerEvent => ({
  type: "PaymentRefunded",
  data: {
    paymentId,
    userId: 101,
    telegramPaymentChargeId: "c1",
    starsAmount: 10,
    credits: 100,
    refundedBy,
    refundedAt: requestedAt,
  },
});
const created: LedgerEvent = {
  type: "PaymentCreated",
  data: {
    paymentId,
    userId: 101,
    packageId: "pkg_100",
    starsAmount: 10,
    credits: 100,
    createdAt: requestedAt,
    expiresAt: requestedAt,
  },
};

/** The events folded in order, the i-th with event id e<i>. */
const fold = (events: readonly LedgerEvent[]): RefundSchedule =>
  events.reduce(
    (schedule, event, i) =>
      evolveRefundSchedule(schedule, event, { eventId: `e${i}`, correlationId: undefined }, graceMs),
    emptyRefundSchedule,
  );
/** Each refund owed as kind:charge@dueAtMs. */
const owed = (schedule: RefundSchedule): string[] =>
  [...schedule.values()].map((refund) => `${refund.kind}:${refund.chargeId}@${refund.dueAtMs}`);

describe("evolveRefundSchedule: which refunds the events owe", () => {
  it.each([
    ["an extra charge is owed at once", [extra("c2")], ["extra:c2@0"]],
    ["an extra charge refunded is owed no more", [extra("c2"), extraRefunded("c2")], []],
    ["an unmatched charge with a payer is owed at once", [unmatched("u1", 777)], ["unmatched:u1@0"]],
    ["an unmatched charge without a payer is left for reconciliation", [unmatched("u1")], []],
    ["an unmatched charge refunded is owed no more", [unmatched("u1", 777), unmatchedRefunded("u1")], []],
    ["an admin's request is owed once its grace has passed", [requested("k1")], [`requested:c1@${requestDueMs}`]],
    ["a request whose refund is recorded is owed no more", [requested("k1"), refunded("admin")], []],
    [
      "a request Telegram refunded meanwhile (refunded_payment) is owed no more",
      [requested(), refunded("telegram")],
      [],
    ],
    [
      "two requests under two keys owe one refund",
      [requested("k1"), requested("k2")],
      [`requested:c1@${requestDueMs}`],
    ],
    ["the events of a payment that owes nothing change nothing", [created], []],
  ])("%s", (_rule, events, expected) => {
    expect(owed(fold(events))).toEqual(expected);
  });

  it("an admin's request keeps who asked and the first key, to record PaymentRefunded as that request", () => {
    expect([...fold([requested("k1"), requested("k2")]).values()]).toEqual([
      {
        kind: "requested",
        chargeId: "c1",
        paymentId,
        userId: 777,
        starsAmount: 10,
        admin: "user:1",
        idempotencyKey: "k1",
        correlationId: "refund-e0",
        causationId: "e0",
        attempts: 0,
        dueAtMs: requestDueMs,
      },
    ]);
  });

  it("a refund carries its event's correlation id, or one made from the event id, and the event id as its cause", () => {
    const withCorrelation = evolveRefundSchedule(emptyRefundSchedule, extra("c2"), {
      eventId: "ev-1",
      correlationId: "tg-update-9",
    });
    expect([...withCorrelation.values()][0]).toMatchObject({ correlationId: "tg-update-9", causationId: "ev-1" });
    expect([...fold([extra("c2")]).values()][0]).toMatchObject({ correlationId: "refund-e0", causationId: "e0" });
  });

  it("an event that owes nothing returns the very same schedule", () => {
    const schedule = fold([extra("c2")]);
    expect(evolveRefundSchedule(schedule, created, { eventId: "x", correlationId: undefined })).toBe(schedule);
    expect(evolveRefundSchedule(schedule, extraRefunded("c9"), { eventId: "x", correlationId: undefined })).toBe(
      schedule,
    );
  });
});

/** Refunds owed, due at the given instants, in that order of arrival. */
const dueAt = (...times: readonly [string, number][]): RefundSchedule =>
  new Map(
    times.map(([chargeId, dueAtMs]): [string, DueRefund] => [
      `extra:${chargeId}`,
      {
        kind: "extra",
        chargeId,
        paymentId,
        userId: 777,
        starsAmount: 10,
        correlationId: "c",
        causationId: "e",
        attempts: 0,
        dueAtMs,
      },
    ]),
  );

describe("nextRefundTurn: what one bounded turn takes", () => {
  const schedule = dueAt(["a", 0], ["b", 0], ["c", 100], ["d", 500]);
  it.each([
    ["the refunds due, in the order they came", 50, 10, ["a", "b"], 0, 100],
    ["at most queueMax of them; the rest wait for the next turn", 50, 1, ["a"], 1, 100],
    ["everything due, bounded the same way", 1_000, 2, ["a", "b"], 2, undefined],
    ["nothing due yet: an empty queue and when the next falls due", -1, 2, [], 0, 0],
  ])("%s", (_rule, nowMs, queueMax, queue, waiting, nextDueAtMs) => {
    const turn = nextRefundTurn(schedule, nowMs, queueMax);
    expect(turn.queue.map((refund) => refund.chargeId)).toEqual(queue);
    expect(turn.waiting).toBe(waiting);
    expect(turn.nextDueAtMs).toBe(nextDueAtMs);
  });

  it("the earliest due goes first, whatever the order of arrival", () => {
    const turn = nextRefundTurn(dueAt(["late", 300], ["early", 100]), 1_000, 1);
    expect(turn.queue.map((refund) => refund.chargeId)).toEqual(["early"]);
    expect(turn.waiting).toBe(1);
  });

  it("an empty schedule has nothing to do and nothing to wait for", () => {
    expect(nextRefundTurn(emptyRefundSchedule, 0, 10)).toEqual({ queue: [], waiting: 0, nextDueAtMs: undefined });
  });
});

describe("afterFailedAttempt: backoff, cap, give up", () => {
  const policy: RefundRetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 3_000, attemptsMax: 4 };
  const nowMs = 10_000;
  const [owedRefund] = [...dueAt(["c2", 0]).values()];
  if (owedRefund === undefined) throw new Error("fixture");
  const refundAfter = (attempts: number): DueRefund => ({ ...owedRefund, attempts });
  const scheduleOf = (refund: DueRefund): RefundSchedule => new Map([["extra:c2", refund]]);

  it.each([
    ["the first failure waits baseDelayMs", 0, 1_000],
    ["the second waits twice as long", 1, 2_000],
    ["the third would wait 4 s, capped at maxDelayMs", 2, 3_000],
  ])("a transient failure is retried: %s", (_rule, attempts, delayMs) => {
    const refund = refundAfter(attempts);
    const after = afterFailedAttempt(scheduleOf(refund), refund, { why: "500", transient: true }, nowMs, policy);
    expect(after.outcome).toEqual({
      kind: "retry",
      refund: { ...refund, attempts: attempts + 1, dueAtMs: nowMs + delayMs },
      delayMs,
    });
    expect(after.schedule.get("extra:c2")).toEqual({ ...refund, attempts: attempts + 1, dueAtMs: nowMs + delayMs });
  });

  it("the attemptsMax-th transient failure gives up until the next start, and takes the refund out", () => {
    const refund = refundAfter(3);
    const after = afterFailedAttempt(scheduleOf(refund), refund, { why: "500", transient: true }, nowMs, policy);
    expect(after.outcome).toEqual({
      kind: "givenUp",
      refund: { ...refund, attempts: 4 },
      why: "500 (after 4 attempts; tried again at the next start)",
    });
    expect(after.schedule.size).toBe(0);
  });

  it("a final refusal gives up at once", () => {
    const refund = refundAfter(0);
    const after = afterFailedAttempt(
      scheduleOf(refund),
      refund,
      { why: "CHARGE_NOT_FOUND", transient: false },
      nowMs,
      policy,
    );
    expect(after.outcome).toEqual({ kind: "givenUp", refund, why: "CHARGE_NOT_FOUND" });
    expect(after.schedule.size).toBe(0);
  });

  it("a refund settled meanwhile (its event arrived during the attempt) is not put back", () => {
    const refund = refundAfter(0);
    const after = afterFailedAttempt(emptyRefundSchedule, refund, { why: "500", transient: true }, nowMs, policy);
    expect(after).toEqual({ schedule: emptyRefundSchedule, outcome: { kind: "settled" } });
  });
});

describe("refundRecordOf: where the read-back looks", () => {
  it.each([
    ["an extra charge", fold([extra("c2")]), `payment-${paymentId}`, "ExtraChargeRefunded"],
    ["an unmatched charge", fold([unmatched("u1", 777)]), "unmatched-charge-u1", "UnmatchedChargeRefunded"],
    ["an admin's request", fold([requested("k1")]), `payment-${paymentId}`, "PaymentRefunded"],
  ])("%s", (_kind, schedule, stream, type) => {
    const [refund] = [...schedule.values()];
    expect(refund && refundRecordOf(refund)).toEqual({ stream, type });
  });
});
