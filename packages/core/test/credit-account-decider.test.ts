import { describe, expect, it } from "vitest";
import { creditAccountDecider } from "../src/index.js";
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
