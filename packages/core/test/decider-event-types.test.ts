import { describe, expect, it } from "vitest";
import { creditAccountDecider, currentSchemaVersion, paymentDecider, unmatchedChargeDecider } from "../src/index.js";

describe("the deciders' event types come from the event schemas", () => {
  const deciders = { paymentDecider, creditAccountDecider, unmatchedChargeDecider };

  it("every ledger event type belongs to exactly one decider's streams", () => {
    const owners = Object.keys(currentSchemaVersion).map((type) => ({
      type,
      deciders: Object.entries(deciders)
        .filter(([, decider]) => (decider.eventTypes as ReadonlySet<string>).has(type))
        .map(([name]) => name),
    }));
    expect(owners.filter((owner) => owner.deciders.length !== 1)).toEqual([]);
  });

  it("each decider holds its own events", () => {
    expect([...paymentDecider.eventTypes]).toEqual([
      "PaymentCreated",
      "InvoiceIssued",
      "PreCheckoutApproved",
      "PaymentPaid",
      "PaymentFailed",
      "RefundRequested",
      "PaymentRefunded",
      "ExtraChargeReceived",
      "ExtraChargeRefunded",
      "ChargeConflictRecorded",
    ]);
    expect([...creditAccountDecider.eventTypes]).toEqual(["CreditsAdjusted"]);
    expect([...unmatchedChargeDecider.eventTypes]).toEqual(["UnmatchedChargeReceived", "UnmatchedChargeRefunded"]);
  });
});
