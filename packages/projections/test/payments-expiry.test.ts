import type { LedgerEvent } from "@starledger/core";
import { describe, expect, it } from "vitest";
import { LedgerReadModels } from "../src/index.js";
import { at, created, failed, History, paid, paymentIdOf, refunded } from "./fixtures.js";

const project = (events: readonly LedgerEvent[]): LedgerReadModels => {
  const history = new History();
  const models = new LedgerReadModels();
  for (const event of events) models.apply(history.add(event));
  return models;
};

describe("the payments read model's expiredPending (the expiry sweeper's port)", () => {
  const models = project([
    created(1, { expiresAt: at("2025-01-02T10:00:00Z") }),
    created(2, { expiresAt: at("2025-01-02T09:00:00Z") }),
    created(3, { expiresAt: at("2025-01-02T10:00:00.001Z") }),
    created(4, { expiresAt: at("2025-01-02T08:00:00Z") }),
    paid(4),
    created(5, { expiresAt: at("2025-01-02T08:00:00Z") }),
    failed(5, "expired"),
    created(6, { expiresAt: at("2025-01-02T07:00:00Z") }),
    paid(6),
    refunded(6),
    created(7, { expiresAt: at("2025-01-02T09:00:00Z") }),
  ]);
  const due = (iso: string, limit = 100): readonly string[] => models.payments.expiredPending(new Date(iso), limit);

  it("names the pending payments whose expiresAt is at or before now, earliest expiry first, ties by position", () => {
    expect(due("2025-01-02T10:00:00Z")).toEqual([paymentIdOf(2), paymentIdOf(7), paymentIdOf(1)]);
  });

  it("never names a payment not yet due, nor a paid, failed or refunded one", () => {
    expect(due("2025-01-02T08:59:59.999Z")).toEqual([]);
    expect(due("2030-01-01T00:00:00Z")).toEqual([2, 7, 1, 3].map(paymentIdOf));
  });

  it("gives at most `limit` ids, the earliest first", () => {
    expect(due("2030-01-01T00:00:00Z", 2)).toEqual([paymentIdOf(2), paymentIdOf(7)]);
    expect(due("2030-01-01T00:00:00Z", 0)).toEqual([]);
  });

  it("forgets a payment once its expiry is recorded", () => {
    const history = new History();
    const live = new LedgerReadModels();
    live.apply(history.add(created(1)));
    const day2 = new Date(at("2025-01-02T10:00:00Z"));
    expect(live.payments.expiredPending(day2, 100)).toEqual([paymentIdOf(1)]);
    live.apply(history.add(failed(1, "expired", day2.toISOString())));
    expect(live.payments.expiredPending(day2, 100)).toEqual([]);
    expect(live.payments.get(paymentIdOf(1))).toMatchObject({ status: "FAILED", failureReason: "expired" });
  });
});
