/**
 * Which refunds the ledger owes, and when each is due: pure functions over the recorded events and a time, with no
 * clock, store or Telegram. The refund reactor (refund-reactor.ts) folds the events in and does the I/O.
 */
import { paymentStream, unmatchedChargeStream, type EventOf, type LedgerEvent } from "@starledger/core";

type RefundBase = {
  readonly chargeId: string;
  /** Who paid the charge: refundStarPayment's user_id. */
  readonly userId: number;
  readonly starsAmount: number;
  /** Carried onto the refund event, tying it to the event that made the refund due. */
  readonly correlationId: string;
  readonly causationId: string;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Not attempted before this instant (epoch ms). */
  readonly dueAtMs: number;
};

/**
 * A refund owed: an extra charge on a payment (ExtraChargeReceived), an unmatched charge with a payer
 * (UnmatchedChargeReceived), or an admin's request left without its PaymentRefunded (RefundRequested).
 */
export type DueRefund =
  | (RefundBase & { readonly kind: "extra"; readonly paymentId: string })
  | (RefundBase & { readonly kind: "unmatched"; readonly paymentId: undefined })
  | (RefundBase & {
      readonly kind: "requested";
      readonly paymentId: string;
      readonly admin: string;
      readonly idempotencyKey: string | undefined;
    });
export type RefundKind = DueRefund["kind"];

/** The refunds owed, by refundKeyOf. */
export type RefundSchedule = ReadonlyMap<string, DueRefund>;
export const emptyRefundSchedule: RefundSchedule = new Map();

/** What the schedule keeps of a recorded event besides its data. */
export type EventOrigin = { readonly eventId: string; readonly correlationId: string | undefined };

export type RefundRetryPolicy = {
  /** Backoff after failed attempt n: baseDelayMs x 2^(n-1), capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts before a refund is left for reconciliation (until the next start). */
  readonly attemptsMax: number;
};

/**
 * How long an admin's RefundRequested is left to the request that recorded it (which asks Telegram, then records
 * PaymentRefunded) before the reactor completes it. Longer than that request can take: the Bot API client's four
 * 10 s attempts and its waits on 429 (at most 30 s each) come to about 2 min.
 */
export const refundRequestGraceMs = 10 * 60_000;

/** The event types that change the schedule; the reactor reads only these. */
export const refundScheduleEventTypes: ReadonlySet<string> = new Set<LedgerEvent["type"]>([
  "ExtraChargeReceived",
  "ExtraChargeRefunded",
  "UnmatchedChargeReceived",
  "UnmatchedChargeRefunded",
  "RefundRequested",
  "PaymentRefunded",
]);

export const refundKeyOf = (refund: Pick<DueRefund, "kind" | "chargeId">): string =>
  `${refund.kind}:${refund.chargeId}`;

/** refundStarPayment needs the payer: an unmatched charge whose update did not say who paid is left for reconciliation. */
export const unmatchedWithoutPayer = (event: LedgerEvent): event is EventOf<"UnmatchedChargeReceived"> =>
  event.type === "UnmatchedChargeReceived" && event.data.telegramUserId === undefined;

const withRefund = (schedule: RefundSchedule, refund: DueRefund): RefundSchedule =>
  new Map(schedule).set(refundKeyOf(refund), refund);

export const withoutRefund = (
  schedule: RefundSchedule,
  refund: Pick<DueRefund, "kind" | "chargeId">,
): RefundSchedule => {
  const key = refundKeyOf(refund);
  if (!schedule.has(key)) return schedule;
  const next = new Map(schedule);
  next.delete(key);
  return next;
};

/**
 * Folds one recorded event in: a charge to refund, or an admin's request, comes in (due at once; a request once
 * its grace has passed); its refund event takes it out. Any other event leaves the schedule as it is.
 */
export const evolveRefundSchedule = (
  schedule: RefundSchedule,
  event: LedgerEvent,
  origin: EventOrigin,
  requestGraceMs: number = refundRequestGraceMs,
): RefundSchedule => {
  const owed = {
    correlationId: origin.correlationId ?? `refund-${origin.eventId}`,
    causationId: origin.eventId,
    attempts: 0,
    dueAtMs: 0,
  };
  switch (event.type) {
    case "ExtraChargeReceived":
      return withRefund(schedule, {
        ...owed,
        kind: "extra",
        chargeId: event.data.telegramPaymentChargeId,
        paymentId: event.data.paymentId,
        userId: event.data.telegramUserId,
        starsAmount: event.data.totalAmount,
      });
    case "ExtraChargeRefunded":
      return withoutRefund(schedule, { kind: "extra", chargeId: event.data.telegramPaymentChargeId });
    case "UnmatchedChargeReceived":
      if (event.data.telegramUserId === undefined) return schedule;
      return withRefund(schedule, {
        ...owed,
        kind: "unmatched",
        chargeId: event.data.telegramPaymentChargeId,
        paymentId: undefined,
        userId: event.data.telegramUserId,
        starsAmount: event.data.totalAmount,
      });
    case "UnmatchedChargeRefunded":
      return withoutRefund(schedule, { kind: "unmatched", chargeId: event.data.telegramPaymentChargeId });
    case "RefundRequested": {
      const request = { kind: "requested", chargeId: event.data.telegramPaymentChargeId } as const;
      // A second request under another key while one is open: one refund completes both.
      if (schedule.has(refundKeyOf(request))) return schedule;
      return withRefund(schedule, {
        ...owed,
        ...request,
        paymentId: event.data.paymentId,
        userId: event.data.telegramUserId,
        starsAmount: event.data.starsAmount,
        admin: event.data.admin,
        idempotencyKey: event.data.idempotencyKey,
        dueAtMs: Date.parse(event.data.requestedAt) + requestGraceMs,
      });
    }
    case "PaymentRefunded":
      // By the admin's request, by another request, or by Telegram (refunded_payment): the request is done.
      return withoutRefund(schedule, { kind: "requested", chargeId: event.data.telegramPaymentChargeId });
    default:
      return schedule;
  }
};

/** One turn of the worker: the refunds due now, earliest first, at most queueMax; the rest wait for the next turn. */
export type RefundTurn = {
  readonly queue: readonly DueRefund[];
  /** Refunds due now that did not fit in the queue. */
  readonly waiting: number;
  /** When the earliest refund not due yet falls due; undefined when none. */
  readonly nextDueAtMs: number | undefined;
};

export const nextRefundTurn = (schedule: RefundSchedule, nowMs: number, queueMax: number): RefundTurn => {
  const all = [...schedule.values()];
  // A stable sort: refunds due at the same instant keep the order their events came in.
  const due = all.filter((refund) => refund.dueAtMs <= nowMs).sort((a, b) => a.dueAtMs - b.dueAtMs);
  const later = all.filter((refund) => refund.dueAtMs > nowMs).map((refund) => refund.dueAtMs);
  return {
    queue: due.slice(0, queueMax),
    waiting: Math.max(0, due.length - queueMax),
    nextDueAtMs: later.length === 0 ? undefined : Math.min(...later),
  };
};

export type FailedAttempt = {
  readonly why: string;
  /** Worth trying again (rate limit, 5xx, timeout, network, store outage); anything else is final. */
  readonly transient: boolean;
};

export type AfterFailure =
  | { readonly kind: "retry"; readonly refund: DueRefund; readonly delayMs: number }
  | { readonly kind: "givenUp"; readonly refund: DueRefund; readonly why: string }
  /** Settled meanwhile (by another instance, or an update from Telegram): not put back. */
  | { readonly kind: "settled" };

/** A failed attempt: due again after a capped backoff, or given up (left for reconciliation until the next start). */
export const afterFailedAttempt = (
  schedule: RefundSchedule,
  refund: DueRefund,
  failure: FailedAttempt,
  nowMs: number,
  retry: RefundRetryPolicy,
): { readonly schedule: RefundSchedule; readonly outcome: AfterFailure } => {
  if (!schedule.has(refundKeyOf(refund))) return { schedule, outcome: { kind: "settled" } };
  if (!failure.transient) {
    return { schedule: withoutRefund(schedule, refund), outcome: { kind: "givenUp", refund, why: failure.why } };
  }
  const attempts = refund.attempts + 1;
  if (attempts >= retry.attemptsMax) {
    const why = `${failure.why} (after ${attempts} attempts; tried again at the next start)`;
    const outcome = { kind: "givenUp", refund: { ...refund, attempts }, why } as const;
    return { schedule: withoutRefund(schedule, refund), outcome };
  }
  const delayMs = Math.min(retry.baseDelayMs * 2 ** (attempts - 1), retry.maxDelayMs);
  const next = { ...refund, attempts, dueAtMs: nowMs + delayMs };
  return { schedule: withRefund(schedule, next), outcome: { kind: "retry", refund: next, delayMs } };
};

/** Where a refund's refund event is recorded, and its type: read back before Telegram is asked. */
export const refundRecordOf = (refund: DueRefund): { readonly stream: string; readonly type: LedgerEvent["type"] } => {
  switch (refund.kind) {
    case "extra":
      return { stream: paymentStream(refund.paymentId), type: "ExtraChargeRefunded" };
    case "unmatched":
      return { stream: unmatchedChargeStream(refund.chargeId), type: "UnmatchedChargeRefunded" };
    case "requested":
      return { stream: paymentStream(refund.paymentId), type: "PaymentRefunded" };
  }
};
