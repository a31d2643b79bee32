import { describe, expect, it } from "vitest";
import { unmatchedChargeDecider, type UnmatchedChargeCommand, type UnmatchedChargeEvent } from "../src/index.js";
import { given } from "../src/testing/index.js";

const now = "2026-11-26T10:00:00.000Z";
const later = "2026-11-26T11:00:00.000Z";

/** What the update carried; payer null: it named no payer. */
const carried = (payer: number | null) => ({
  telegramPaymentChargeId: "c9",
  providerPaymentChargeId: "p9",
  invoicePayload: "not-a-payment",
  currency: "XTR",
  totalAmount: 5,
  ...(payer === null ? {} : { telegramUserId: payer }),
});
const charge = (payer: number | null = 9): UnmatchedChargeCommand => ({
  type: "RecordUnmatchedCharge",
  data: { ...carried(payer), now },
});
const received = (payer: number | null = 9): UnmatchedChargeEvent => ({
  type: "UnmatchedChargeReceived",
  data: { ...carried(payer), receivedAt: now },
});
const refundRecorded: UnmatchedChargeCommand = {
  type: "RecordUnmatchedChargeRefunded",
  data: { telegramPaymentChargeId: "c9", now: later },
};
const refunded = (totalAmount = 5): UnmatchedChargeEvent => ({
  type: "UnmatchedChargeRefunded",
  data: { telegramPaymentChargeId: "c9", totalAmount, refundedAt: later },
});

/** The rules of a charge whose invoice_payload names no payment: recorded so it is never silently kept, then refunded. */
const rules: readonly (readonly [
  rule: string,
  history: readonly UnmatchedChargeEvent[],
  command: UnmatchedChargeCommand,
  expected: readonly UnmatchedChargeEvent[],
])[] = [
  ["a charge that names no payment is recorded, as received at the command's time", [], charge(), [received()]],
  ["a charge without a payer id is recorded without one", [], charge(null), [received(null)]],
  ["the same charge delivered again records nothing", [received()], charge(), []],
  ["the same charge delivered after its refund records nothing", [received(), refunded()], charge(), []],
  ["its refund is recorded once, for the amount received", [received()], refundRecorded, [refunded()]],
  ["its refund recorded again records nothing", [received(), refunded()], refundRecorded, []],
  // evolve accepts a refund seen without its receipt (the store may hold only that): it is known and refunded.
  ["a charge whose refund alone was recorded is not recorded again", [refunded(7)], charge(), []],
  ["a refund after a refund alone records nothing", [refunded(7)], refundRecorded, []],
];

describe("the unmatched-charge decider", () => {
  it.each(rules)("%s", (_rule, history, command, expected) => {
    given(unmatchedChargeDecider, history).when(command).then(expected);
  });

  it("a refund of a charge never received is UnknownCharge, naming the charge", () => {
    given(unmatchedChargeDecider, [])
      .when(refundRecorded)
      .thenFails({ type: "UnknownCharge", telegramPaymentChargeId: "c9", message: "No unmatched charge c9" });
  });

  it("the received charge claims its charge id ledger-wide; its refund claims nothing", () => {
    expect(unmatchedChargeDecider.naturalKeyOf?.(received())).toBe("charge:c9");
    expect(unmatchedChargeDecider.naturalKeyOf?.(refunded())).toBeUndefined();
  });

  it("remembers the amount and payer it refunds", () => {
    expect(given(unmatchedChargeDecider, []).when(charge()).state()).toEqual({
      status: "RECEIVED",
      totalAmount: 5,
      telegramUserId: 9,
    });
    expect(given(unmatchedChargeDecider, [received()]).when(refundRecorded).state()).toEqual({
      status: "REFUNDED",
      totalAmount: 5,
      telegramUserId: 9,
    });
  });
});
