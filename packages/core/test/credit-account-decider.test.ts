import { describe, expect, it } from "vitest";
import { creditAccountDecider, unmatchedChargeDecider } from "../src/index.js";
import { given } from "../src/testing/index.js";

const now = "2026-11-26T10:00:00.000Z";
const adjust = (delta: number, reason = "goodwill after outage") =>
  ({ type: "AdjustCredits", data: { userId: 7, delta, reason, admin: "admin:1", now } }) as const;

describe("manual credit adjustments", () => {
  it("records an adjustment with its reason and admin", () => {
    given(creditAccountDecider, [])
      .when(adjust(-30))
      .then([
        {
          type: "CreditsAdjusted",
          data: { userId: 7, delta: -30, reason: "goodwill after outage", admin: "admin:1", adjustedAt: now },
        },
      ]);
  });
  it("an adjustment with an Idempotency-Key records it and claims it ledger-wide; one without claims nothing", () => {
    const keyed = { ...adjust(25), data: { ...adjust(25).data, idempotencyKey: "ticket-42" } };
    const decided = creditAccountDecider.decide(keyed, creditAccountDecider.initialState)._unsafeUnwrap();
    expect(decided).toEqual([
      {
        type: "CreditsAdjusted",
        data: {
          userId: 7,
          delta: 25,
          reason: "goodwill after outage",
          admin: "admin:1",
          idempotencyKey: "ticket-42",
          adjustedAt: now,
        },
      },
    ]);
    const [event] = decided;
    if (event === undefined) throw new Error("no event");
    expect(creditAccountDecider.naturalKeyOf?.(event)).toBe("adjust:ticket-42");
    const plain = creditAccountDecider.decide(adjust(25), creditAccountDecider.initialState)._unsafeUnwrap()[0];
    if (plain === undefined) throw new Error("no event");
    expect(creditAccountDecider.naturalKeyOf?.(plain)).toBeUndefined();
  });
  it("refuses a zero delta", () => {
    given(creditAccountDecider, [])
      .when(adjust(0))
      .thenFails({ type: "InvalidAdjustment", message: "delta must not be zero" });
  });
  it("refuses a missing reason", () => {
    given(creditAccountDecider, [])
      .when(adjust(5, "   "))
      .thenFails({ type: "InvalidAdjustment", message: "reason is required" });
  });
});

describe("unmatched charges", () => {
  const charge = {
    type: "RecordUnmatchedCharge",
    data: {
      telegramPaymentChargeId: "c9",
      providerPaymentChargeId: "",
      invoicePayload: "not-a-payment",
      currency: "XTR",
      totalAmount: 5,
      telegramUserId: 9,
      now,
    },
  } as const;
  const received = {
    type: "UnmatchedChargeReceived",
    data: {
      telegramPaymentChargeId: "c9",
      providerPaymentChargeId: "",
      invoicePayload: "not-a-payment",
      currency: "XTR",
      totalAmount: 5,
      telegramUserId: 9,
      receivedAt: now,
    },
  } as const;
  const refundedCommand = {
    type: "RecordUnmatchedChargeRefunded",
    data: { telegramPaymentChargeId: "c9", now },
  } as const;
  it("records a charge whose payload names no payment, once", () => {
    given(unmatchedChargeDecider, []).when(charge).then([received]);
    given(unmatchedChargeDecider, [received]).when(charge).then([]);
  });
  it("the received charge claims its charge id ledger-wide; its refund claims nothing", () => {
    expect(unmatchedChargeDecider.naturalKeyOf?.(received)).toBe("charge:c9");
    expect(
      unmatchedChargeDecider.naturalKeyOf?.({
        type: "UnmatchedChargeRefunded",
        data: { telegramPaymentChargeId: "c9", totalAmount: 5, refundedAt: now },
      }),
    ).toBeUndefined();
  });
  it("records its refund once", () => {
    const refund = {
      type: "UnmatchedChargeRefunded",
      data: { telegramPaymentChargeId: "c9", totalAmount: 5, refundedAt: now },
    } as const;
    given(unmatchedChargeDecider, [received]).when(refundedCommand).then([refund]);
    given(unmatchedChargeDecider, [received, refund]).when(refundedCommand).then([]);
  });
  it("a refund of a charge never received is UnknownCharge", () => {
    given(unmatchedChargeDecider, []).when(refundedCommand).thenFails({ type: "UnknownCharge" });
  });
});
