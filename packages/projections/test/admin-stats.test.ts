import { describe, expect, it } from "vitest";
import { LedgerReadModels, statsHourlyBucketsMax } from "../src/index.js";
import {
  adjusted,
  at,
  created,
  extraCharge,
  extraChargeRefunded,
  failed,
  History,
  paid,
  refunded,
  unmatchedCharge,
} from "./fixtures.js";

/** Two days of payments: every status, a refund on the second day, extra and unmatched charges, an adjustment. */
const twoDays = (): LedgerReadModels => {
  const history = new History();
  history.add(created(1, { userId: 1, createdAt: at("2025-01-01T10:00:00Z") }));
  history.add(paid(1, { userId: 1, paidAt: at("2025-01-01T10:02:00Z") }));
  history.add(created(2, { userId: 1, starsAmount: 50, credits: 500, createdAt: at("2025-01-01T10:30:00Z") }));
  history.add(paid(2, { userId: 1, totalAmount: 50, credits: 500, paidAt: at("2025-01-01T11:00:00Z") }));
  history.add(created(3, { userId: 2, createdAt: at("2025-01-01T11:15:00Z") }));
  history.add(extraCharge(1, "charge-1b", "invoice_already_paid", 10, at("2025-01-01T12:00:00Z")));
  history.add(extraChargeRefunded(1, "charge-1b", 10, at("2025-01-01T13:00:00Z")));
  history.add(unmatchedCharge("u-1", 25, at("2025-01-01T13:00:00Z")));
  history.add(created(4, { userId: 2, createdAt: at("2025-01-02T08:00:00Z") }));
  history.add(
    refunded(2, { userId: 1, starsAmount: 50, credits: 500, refundedAt: at("2025-01-02T09:00:00Z"), admin: "alice" }),
  );
  history.add(created(5, { userId: 3, createdAt: at("2025-01-02T09:30:00Z") }));
  history.add(failed(5, "amount_mismatch", at("2025-01-02T09:31:00Z")));
  history.add(extraCharge(5, "charge-5", "amount_mismatch", 7, at("2025-01-02T09:31:00Z")));
  history.add(failed(3, "expired", at("2025-01-02T11:15:00Z")));
  history.add(adjusted(1, 5));
  const models = new LedgerReadModels();
  for (const recorded of history.events) models.apply(recorded);
  return models;
};

describe("admin stats", () => {
  it("over all time: counts, success rate, revenue, credits, series and charges", () => {
    const stats = twoDays().stats();
    expect(stats).toEqual({
      range: { from: null, to: null },
      paymentsCreated: 5,
      byStatus: { PENDING: 1, PAID: 1, FAILED: 2, REFUNDED: 1 },
      failedByReason: {
        invoice_creation_failed: 0,
        amount_mismatch: 1,
        currency_mismatch: 0,
        expired: 1,
        cancelled: 0,
      },
      successRate: 0.5,
      purchases: 2,
      refunds: 1,
      starsPaid: 60,
      starsRefunded: 50,
      revenueStars: 10,
      creditsPaid: 600,
      creditsRefunded: 500,
      creditsIssued: 100,
      averageCreditsPerPurchase: 300,
      createdPerHour: [
        { hour: "2025-01-01T10:00:00.000Z", count: 2 },
        { hour: "2025-01-01T11:00:00.000Z", count: 1 },
        { hour: "2025-01-02T08:00:00.000Z", count: 1 },
        { hour: "2025-01-02T09:00:00.000Z", count: 1 },
      ],
      createdPerDay: [
        { day: "2025-01-01", count: 3 },
        { day: "2025-01-02", count: 2 },
      ],
      revenueByDay: [
        { day: "2025-01-01", starsPaid: 60, starsRefunded: 0, revenueStars: 60 },
        { day: "2025-01-02", starsPaid: 0, starsRefunded: 50, revenueStars: -50 },
      ],
      seriesTruncated: false,
      extraCharges: {
        received: 2,
        starsReceived: 17,
        refunded: 1,
        starsRefunded: 10,
        pendingRefund: 1,
        starsPendingRefund: 7,
      },
      unmatchedCharges: {
        received: 1,
        starsReceived: 25,
        refunded: 0,
        starsRefunded: 0,
        pendingRefund: 1,
        starsPendingRefund: 25,
      },
      starsPendingRefund: 32,
    });
  });

  it("creditsIssued over all time is the credits held minus manual adjustments", () => {
    const models = twoDays();
    expect(models.stats().creditsIssued).toBe(models.balances.totalCredits() - 5);
  });

  it("a range counts the cohort created in it and the money moved in it", () => {
    const stats = twoDays().stats({ from: new Date("2025-01-02T00:00:00Z"), to: new Date("2025-01-03T00:00:00Z") });
    expect(stats).toMatchObject({
      range: { from: "2025-01-02T00:00:00.000Z", to: "2025-01-03T00:00:00.000Z" },
      paymentsCreated: 2,
      byStatus: { PENDING: 1, PAID: 0, FAILED: 1, REFUNDED: 0 },
      successRate: 0,
      purchases: 0,
      averageCreditsPerPurchase: null,
      refunds: 1,
      revenueStars: -50,
      creditsIssued: -500,
      revenueByDay: [{ day: "2025-01-02", starsPaid: 0, starsRefunded: 50, revenueStars: -50 }],
      extraCharges: {
        received: 1,
        starsReceived: 7,
        refunded: 0,
        starsRefunded: 0,
        pendingRefund: 1,
        starsPendingRefund: 7,
      },
      unmatchedCharges: {
        received: 0,
        starsReceived: 0,
        refunded: 0,
        starsRefunded: 0,
        pendingRefund: 0,
        starsPendingRefund: 0,
      },
      starsPendingRefund: 7,
    });
  });

  it("from is inclusive and to exclusive", () => {
    const models = twoDays();
    expect(
      models.stats({ from: new Date("2025-01-01T10:00:00Z"), to: new Date("2025-01-01T10:30:00Z") }).paymentsCreated,
    ).toBe(1);
  });

  it("with no data the rates are null, not 0 and not NaN", () => {
    const stats = new LedgerReadModels().stats();
    expect(stats.successRate).toBeNull();
    expect(stats.averageCreditsPerPurchase).toBeNull();
    expect(stats.createdPerHour).toEqual([]);
    expect(stats.revenueStars).toBe(0);
  });

  it("only pending payments: success rate is null, they are neither success nor failure", () => {
    const history = new History();
    history.add(created(1));
    const models = new LedgerReadModels();
    for (const recorded of history.events) models.apply(recorded);
    expect(models.stats().successRate).toBeNull();
    expect(models.stats().byStatus.PENDING).toBe(1);
  });

  it("the hourly series keeps only the newest buckets and says so", () => {
    const history = new History();
    const start = Date.parse("2024-01-01T00:00:00Z");
    const hours = statsHourlyBucketsMax + 10;
    for (let i = 0; i < hours; i++)
      history.add(created(i + 1, { createdAt: new Date(start + i * 3_600_000).toISOString() }));
    const models = new LedgerReadModels();
    for (const recorded of history.events) models.apply(recorded);
    const stats = models.stats();
    expect(stats.createdPerHour).toHaveLength(statsHourlyBucketsMax);
    expect(stats.createdPerHour[0]?.hour).toBe(new Date(start + 10 * 3_600_000).toISOString());
    expect(stats.seriesTruncated).toBe(true);
    expect(stats.paymentsCreated).toBe(hours);
  });
});
