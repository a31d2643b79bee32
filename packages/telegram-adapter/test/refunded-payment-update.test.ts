import { randomUUID } from "node:crypto";
import { allEvents, eventsOfType } from "@starledger/core/testing";
import { describe, expect, it } from "vitest";
import { webhookErrorStatus } from "../src/index.js";
import { fixture, successfulPaymentUpdate } from "./support/fixtures.js";
import { sampleChargeId, setup } from "./support/webhook-service-setup.js";

describe("message.refunded_payment", () => {
  it("records Telegram's refund of a paid payment, once", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId));
    expect((await deliver(fixture("refunded_payment", paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect((await deliver(fixture("refunded_payment", paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    const refunds = await eventsOfType(store, "PaymentRefunded");
    expect(refunds.map((e) => e.data)).toEqual([
      expect.objectContaining({ refundedBy: "telegram", telegramPaymentChargeId: sampleChargeId }),
    ]);
    expect(logger.find("Payment refunded by Telegram")?.fields).toMatchObject({ paymentId, chargeId: sampleChargeId });
    expect(logger.messages()).toContain("Duplicate refunded_payment ignored");
  });

  it("acknowledges a refund of an unknown charge and logs an error for reconciliation", async () => {
    const { deliver, store, logger } = setup();
    expect((await deliver(fixture("refunded_payment", randomUUID())))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await allEvents(store)).toHaveLength(0);
    expect(logger.messages("error")).toContain("Refund of an unknown charge; left for reconciliation");
  });

  it("answers 400 when the store refuses the refund's data for good", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId));
    store.appendsRefused = true;
    const refused = (await deliver(fixture("refunded_payment", paymentId)))._unsafeUnwrapErr();
    expect([refused.type, webhookErrorStatus(refused)]).toEqual(["InvalidEventData", 400]);
    expect(logger.messages("error")).toContain(
      "Could not record refunded_payment: the ledger cannot store its data; answering 400",
    );
  });

  it("answers 503 when the refund cannot be recorded", async () => {
    const { deliver, createPayment, store } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId));
    store.appendsDown = true;
    expect(webhookErrorStatus((await deliver(fixture("refunded_payment", paymentId)))._unsafeUnwrapErr())).toBe(503);
  });
});
