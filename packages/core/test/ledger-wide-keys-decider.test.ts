import { describe, expect, it } from "vitest";
import { paymentDecider, type PaymentCommand, type PaymentEvent } from "../src/index.js";
import { given } from "../src/testing/index.js";
import {
  paymentId,
  userId,
  t1,
  created,
  issued,
  approved,
  paid,
  refunded,
  extra,
  successfulPayment,
  adminRefund,
} from "./payment-fixtures.js";

const conflict = (chargeId: string): PaymentEvent => ({
  type: "ChargeConflictRecorded",
  data: {
    paymentId,
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    totalAmount: 10,
    currency: "XTR",
    telegramUserId: userId,
    receivedAt: t1,
  },
});
const chargeConflict = (chargeId: string): PaymentCommand => ({
  type: "RecordChargeConflict",
  data: {
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: 10,
    telegramUserId: userId,
    now: t1,
  },
});

describe("a charge another stream recorded first", () => {
  it("is noted on the payment as a conflict, and the payment stays as it was", () => {
    const decided = given(paymentDecider, [created]).when(chargeConflict("x"));
    decided.then([conflict("x")]);
    expect(decided.state()).toMatchObject({ status: "PENDING", paidChargeId: undefined });
  });
  it.each([
    ["the conflict again", chargeConflict("x")],
    ["the same charge delivered again", successfulPayment({ telegramPaymentChargeId: "x" })],
  ])("is noted once: %s changes nothing", (_case, command) => {
    given(paymentDecider, [created, conflict("x")])
      .when(command)
      .then([]);
  });
  it("does not stop the payment's own charge from being credited", () => {
    given(paymentDecider, [created, conflict("x")])
      .when(successfulPayment({ telegramPaymentChargeId: "c1" }))
      .then([paid("c1")]);
  });
  it("the events that take a charge claim it ledger-wide by its id; nothing else claims a key", () => {
    const keyOf = paymentDecider.naturalKeyOf ?? (() => "no naturalKeyOf");
    expect(keyOf(paid("c1"))).toBe("charge:c1");
    expect(keyOf(extra("c2", "invoice_already_paid"))).toBe("charge:c2");
    for (const event of [created, issued, approved, conflict("x"), refunded("admin"), refunded("telegram")])
      expect(keyOf(event), event.type).toBeUndefined();
  });
});

describe("admin refunds with an Idempotency-Key", () => {
  it("an admin refund with an Idempotency-Key records the key and claims it ledger-wide", () => {
    given(paymentDecider, [created, paid()])
      .when({ type: "RefundPayment", data: { admin: "admin:1", idempotencyKey: "ticket-42", now: t1 } })
      .then([refunded("admin", "ticket-42")]);
    expect(paymentDecider.naturalKeyOf?.(refunded("admin", "ticket-42"))).toBe("admin-refund:ticket-42");
  });
  it("the same keyed admin refund asked again changes nothing; another key is refused", () => {
    const history = [created, paid(), refunded("admin", "ticket-42")];
    given(paymentDecider, history)
      .when({ type: "RefundPayment", data: { admin: "admin:2", idempotencyKey: "ticket-42", now: t1 } })
      .then([]);
    given(paymentDecider, history)
      .when({ type: "RefundPayment", data: { admin: "admin:1", idempotencyKey: "ticket-43", now: t1 } })
      .thenFails({ type: "PaymentAlreadyRefunded" });
    given(paymentDecider, history).when(adminRefund).thenFails({ type: "PaymentAlreadyRefunded" });
  });
});
