import { describe, expect, it } from "vitest";
import { paymentDecider, type PaymentCommand, type PaymentError, type PaymentEvent } from "../src/index.js";
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
  requested,
  extra,
  successfulPayment,
  adminRefund,
  refundRequest,
  keyedRefund,
  failed,
} from "./payment-fixtures.js";

const requestedData = (key: string) => {
  const event = requested(key);
  if (event.type !== "RefundRequested") throw new Error("fixture");
  return event.data;
};

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
    for (const event of [created, issued, approved, conflict("x"), refunded("admin", "k"), refunded("telegram")])
      expect(keyOf(event), event.type).toBeUndefined();
  });
});

describe("admin refunds with an Idempotency-Key", () => {
  it("the request claims the key ledger-wide, before Telegram is asked; the refund itself claims nothing", () => {
    given(paymentDecider, [created, paid()])
      .when(refundRequest("ticket-42"))
      .then([requested("ticket-42")]);
    expect(paymentDecider.naturalKeyOf?.(requested("ticket-42"))).toBe("admin-refund:ticket-42");
    expect(paymentDecider.naturalKeyOf?.(requested())).toBeUndefined();
    expect(paymentDecider.naturalKeyOf?.(refunded("admin", "ticket-42"))).toBeUndefined();
  });
  it("the request names the charge, its payer and the Stars to give back", () => {
    given(paymentDecider, [created, paid("c1", 777)])
      .when(refundRequest("ticket-42"))
      .then([{ type: "RefundRequested", data: { ...requestedData("ticket-42"), telegramUserId: 777 } }]);
  });
  it("a keyed refund records its request with it when none was recorded, so the key is claimed all the same", () => {
    given(paymentDecider, [created, paid()])
      .when(keyedRefund("ticket-42"))
      .then([requested("ticket-42"), refunded("admin", "ticket-42")]);
  });
  it.each([
    [
      "after its keyed request, the refund records only PaymentRefunded",
      [requested("ticket-42")],
      keyedRefund("ticket-42"),
      [refunded("admin", "ticket-42")],
    ],
    [
      "after an unkeyed request, an unkeyed refund records only PaymentRefunded",
      [requested()],
      adminRefund,
      [refunded("admin")],
    ],
    [
      "the open request asked again under its key records nothing",
      [requested("ticket-42")],
      refundRequest("ticket-42"),
      [],
    ],
    ["an unkeyed request while one is open records nothing", [requested("ticket-42")], refundRequest(), []],
    [
      "a request under another key while one is open claims that key too",
      [requested("ticket-42")],
      refundRequest("ticket-43"),
      [requested("ticket-43")],
    ],
    [
      "once refunded, the request asked again under its key records nothing",
      [requested("ticket-42"), refunded("admin", "ticket-42")],
      refundRequest("ticket-42"),
      [],
    ],
    [
      "once refunded, a key asked while the request was open is the same refund",
      [requested("ticket-42"), requested("ticket-43"), refunded("admin", "ticket-42")],
      keyedRefund("ticket-43"),
      [],
    ],
    [
      "a refund recorded before requests existed still knows its key",
      [refunded("admin", "ticket-42")],
      refundRequest("ticket-42"),
      [],
    ],
  ])("%s", (_rule, history, command, expected) => {
    given(paymentDecider, [created, paid(), ...history])
      .when(command)
      .then(expected);
  });
  it.each([
    ["a payment that does not exist", [], refundRequest("k"), "PaymentNotFound" as const],
    ["a pending payment", [created], refundRequest("k"), "PaymentNotPaid" as const],
    ["a failed payment", [created, failed("expired", "expired")], refundRequest(), "PaymentNotPaid" as const],
    [
      "a refunded payment, under another key",
      [created, paid(), requested("k1"), refunded("admin", "k1")],
      refundRequest("k2"),
      "PaymentAlreadyRefunded",
    ],
    [
      "a refunded payment, without a key",
      [created, paid(), requested("k1"), refunded("admin", "k1")],
      refundRequest(),
      "PaymentAlreadyRefunded",
    ],
    [
      "a payment Telegram refunded",
      [created, paid(), refunded("telegram")],
      refundRequest("k"),
      "PaymentAlreadyRefunded",
    ],
  ] satisfies [string, PaymentEvent[], PaymentCommand, PaymentError["type"]][])(
    "a refund request for %s is refused and records nothing",
    (_case, history, command, type) => {
      given(paymentDecider, history).when(command).thenFails({ type });
    },
  );
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
