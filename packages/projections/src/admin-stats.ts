import {
  FailureReason as FailureReasons,
  paymentStatuses,
  type FailureReason,
  type PaymentStatus,
} from "@starledger/core";
import type { PaymentRecord } from "./payments.js";
import type { UnmatchedChargeRecord } from "./unmatched-charges.js";

export type StatsRange = {
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
};

export type ChargeStats = {
  /** Charges received in the range. */
  readonly received: number;
  readonly starsReceived: number;
  /** Charges refunded in the range. */
  readonly refunded: number;
  readonly starsRefunded: number;
  /** Of the charges received in the range, those not refunded yet. */
  readonly pendingRefund: number;
  readonly starsPendingRefund: number;
};

export type DayRevenue = {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly starsPaid: number;
  readonly starsRefunded: number;
  readonly revenueStars: number;
};

/**
 * The runbook's key metrics. Two clocks, each fact counted at its own time:
 * - the cohort: payments whose createdAt is in the range (paymentsCreated, byStatus with their status now,
 *   failedByReason, successRate, createdPerHour/Day);
 * - money: PaymentPaid by paidAt and PaymentRefunded by refundedAt (purchases, Stars, credits, revenueByDay),
 *   so revenueByDay sums to revenueStars.
 */
export type AdminStats = {
  readonly range: { readonly from: string | null; readonly to: string | null };
  readonly paymentsCreated: number;
  readonly byStatus: Readonly<Record<PaymentStatus, number>>;
  readonly failedByReason: Readonly<Record<FailureReason, number>>;
  /** Of the cohort: ever paid (PAID or REFUNDED) / (ever paid + FAILED); null when both are 0. Pending payments do not count. */
  readonly successRate: number | null;
  /** PaymentPaid events in the range. */
  readonly purchases: number;
  readonly refunds: number;
  readonly starsPaid: number;
  readonly starsRefunded: number;
  /** starsPaid - starsRefunded. */
  readonly revenueStars: number;
  readonly creditsPaid: number;
  readonly creditsRefunded: number;
  /** Credits granted by paid payments minus credits taken back by refunds; manual adjustments excluded. */
  readonly creditsIssued: number;
  /** creditsPaid / purchases (before refunds); null when there was no purchase. */
  readonly averageCreditsPerPurchase: number | null;
  /** Payments created per UTC hour (hour start, ISO), hours with none left out, oldest first, the newest statsHourlyBucketsMax. */
  readonly createdPerHour: readonly { readonly hour: string; readonly count: number }[];
  /** Payments created per UTC day, days with none left out, oldest first, the newest statsDailyBucketsMax. */
  readonly createdPerDay: readonly { readonly day: string; readonly count: number }[];
  /** Days with a payment or a refund, oldest first, the newest statsDailyBucketsMax. */
  readonly revenueByDay: readonly DayRevenue[];
  /** True when a series above had more buckets than its cap. */
  readonly seriesTruncated: boolean;
  readonly extraCharges: ChargeStats;
  readonly unmatchedCharges: ChargeStats;
  /** extraCharges.starsPendingRefund + unmatchedCharges.starsPendingRefund: Stars taken but not yet returned. */
  readonly starsPendingRefund: number;
};

/** 90 days of hours. */
export const statsHourlyBucketsMax = 24 * 90;
/** Ten years of days. */
export const statsDailyBucketsMax = 3660;

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

type ChargeTally = { -readonly [K in keyof ChargeStats]: ChargeStats[K] };
const emptyTally = (): ChargeTally => ({
  received: 0,
  starsReceived: 0,
  refunded: 0,
  starsRefunded: 0,
  pendingRefund: 0,
  starsPendingRefund: 0,
});

const newest = <T>(series: T[], max: number): { series: T[]; truncated: boolean } =>
  series.length > max ? { series: series.slice(series.length - max), truncated: true } : { series, truncated: false };

const sortedBuckets = (buckets: Map<number, number>): [number, number][] => [...buckets].sort((a, b) => a[0] - b[0]);

const bump = (buckets: Map<number, number>, key: number, by: number): void => {
  buckets.set(key, (buckets.get(key) ?? 0) + by);
};

/** Whether a time (ms) is in the range; NaN compares false, so a missing time is never in range. */
type InRange = (ms: number) => boolean;

const tallyCharge = (
  tally: ChargeTally,
  charge: { starsAmount: number; receivedAtMs: number; refunded: boolean; refundedAtMs: number },
  inRange: InRange,
): void => {
  if (inRange(charge.receivedAtMs)) {
    tally.received++;
    tally.starsReceived += charge.starsAmount;
    if (!charge.refunded) {
      tally.pendingRefund++;
      tally.starsPendingRefund += charge.starsAmount;
    }
  }
  if (charge.refunded && inRange(charge.refundedAtMs)) {
    tally.refunded++;
    tally.starsRefunded += charge.starsAmount;
  }
};

/** The payments' figures in the range, the cohort by createdAt and the money by paidAt and refundedAt. */
const tallyPayments = (payments: readonly PaymentRecord[], inRange: InRange) => {
  const tally = {
    paymentsCreated: 0,
    byStatus: Object.fromEntries(paymentStatuses.map((status) => [status, 0])) as Record<PaymentStatus, number>,
    failedByReason: Object.fromEntries(FailureReasons.options.map((reason) => [reason, 0])) as Record<
      FailureReason,
      number
    >,
    purchases: 0,
    refunds: 0,
    starsPaid: 0,
    starsRefunded: 0,
    creditsPaid: 0,
    creditsRefunded: 0,
    perHour: new Map<number, number>(),
    perDay: new Map<number, number>(),
    paidPerDay: new Map<number, number>(),
    refundedPerDay: new Map<number, number>(),
    extraCharges: emptyTally(),
  };
  for (const payment of payments) {
    if (inRange(payment.createdAtMs)) {
      tally.paymentsCreated++;
      tally.byStatus[payment.status]++;
      if (payment.failureReason !== null && payment.status === "FAILED") tally.failedByReason[payment.failureReason]++;
      bump(tally.perHour, Math.floor(payment.createdAtMs / hourMs), 1);
      bump(tally.perDay, Math.floor(payment.createdAtMs / dayMs), 1);
    }
    if (inRange(payment.paidAtMs)) {
      tally.purchases++;
      tally.starsPaid += payment.paidStarsAmount;
      tally.creditsPaid += payment.paidCredits;
      bump(tally.paidPerDay, Math.floor(payment.paidAtMs / dayMs), payment.paidStarsAmount);
    }
    if (payment.status === "REFUNDED" && inRange(payment.refundedAtMs)) {
      tally.refunds++;
      tally.starsRefunded += payment.refundedStarsAmount;
      tally.creditsRefunded += payment.refundedCredits;
      bump(tally.refundedPerDay, Math.floor(payment.refundedAtMs / dayMs), payment.refundedStarsAmount);
    }
    for (const charge of payment.extraCharges) tallyCharge(tally.extraCharges, charge, inRange);
  }
  return tally;
};

const utcDay = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10);

/** The hourly and daily series, oldest first, each cut to its newest buckets. */
const seriesOf = (tally: ReturnType<typeof tallyPayments>) => {
  const hours = newest(
    sortedBuckets(tally.perHour).map(([hour, count]) => ({ hour: new Date(hour * hourMs).toISOString(), count })),
    statsHourlyBucketsMax,
  );
  const days = newest(
    sortedBuckets(tally.perDay).map(([day, count]) => ({ day: utcDay(day), count })),
    statsDailyBucketsMax,
  );
  const revenueDays = [...new Set([...tally.paidPerDay.keys(), ...tally.refundedPerDay.keys()])].sort((a, b) => a - b);
  const revenue = newest(
    revenueDays.map((day): DayRevenue => {
      const paid = tally.paidPerDay.get(day) ?? 0;
      const refunded = tally.refundedPerDay.get(day) ?? 0;
      return { day: utcDay(day), starsPaid: paid, starsRefunded: refunded, revenueStars: paid - refunded };
    }),
    statsDailyBucketsMax,
  );
  return {
    createdPerHour: hours.series,
    createdPerDay: days.series,
    revenueByDay: revenue.series,
    seriesTruncated: hours.truncated || days.truncated || revenue.truncated,
  };
};

/** One pass over the rows: O(payments + charges), independent of the range's length. */
export const computeAdminStats = (
  payments: readonly PaymentRecord[],
  unmatchedCharges: Iterable<UnmatchedChargeRecord>,
  range: StatsRange = {},
): AdminStats => {
  const fromMs = range.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const toMs = range.to?.getTime() ?? Number.POSITIVE_INFINITY;
  const inRange: InRange = (ms) => ms >= fromMs && ms < toMs;

  const tally = tallyPayments(payments, inRange);
  const unmatched = emptyTally();
  for (const charge of unmatchedCharges) tallyCharge(unmatched, charge, inRange);
  const { byStatus, purchases, starsPaid, starsRefunded, creditsPaid, creditsRefunded, extraCharges } = tally;
  const everPaid = byStatus.PAID + byStatus.REFUNDED;
  const decided = everPaid + byStatus.FAILED;
  return {
    range: { from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null },
    paymentsCreated: tally.paymentsCreated,
    byStatus,
    failedByReason: tally.failedByReason,
    successRate: decided === 0 ? null : everPaid / decided,
    purchases,
    refunds: tally.refunds,
    starsPaid,
    starsRefunded,
    revenueStars: starsPaid - starsRefunded,
    creditsPaid,
    creditsRefunded,
    creditsIssued: creditsPaid - creditsRefunded,
    averageCreditsPerPurchase: purchases === 0 ? null : creditsPaid / purchases,
    ...seriesOf(tally),
    extraCharges,
    unmatchedCharges: unmatched,
    starsPendingRefund: extraCharges.starsPendingRefund + unmatched.starsPendingRefund,
  };
};
