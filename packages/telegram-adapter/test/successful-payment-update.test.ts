import { allEvents, eventsOfType } from "@starledger/core/testing";
import { describe, expect, it } from "vitest";
import { webhookErrorBody, webhookErrorStatus } from "../src/index.js";
import { runbookSimulatedPayment, successfulPaymentUpdate } from "./support/fixtures.js";
import { owner, sampleChargeId, setup } from "./support/webhook-service-setup.js";

describe("message.successful_payment", () => {
  it("credits a pending payment once and logs the runbook line", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    expect((await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    const paid = await eventsOfType(store, "PaymentPaid");
    expect(paid).toHaveLength(1);
    expect(paid[0]?.data).toMatchObject({ telegramPaymentChargeId: sampleChargeId, credits: 100, userId: owner });
    expect(paid[0]?.metadata.correlationId).toBe("tg-update-710000002");
    expect(logger.find("Payment processed successfully")).toMatchObject({
      level: "info",
      fields: { paymentId, userId: owner, chargeId: sampleChargeId, credits: 100 },
    });
  });

  it("credits the runbook's simulated message (no from, chat or date)", async () => {
    const { deliver, createPayment, store } = setup();
    const paymentId = await createPayment();
    expect((await deliver(runbookSimulatedPayment(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect((await eventsOfType(store, "PaymentPaid"))[0]?.data).toMatchObject({
      telegramPaymentChargeId: "test_charge_123",
    });
  });

  it("a second delivery of the same charge credits nothing and logs a different line", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId));
    expect((await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(1);
    expect(logger.messages().filter((m) => m === "Payment processed successfully")).toHaveLength(1);
    expect(logger.find("Duplicate successful_payment ignored")?.fields).toMatchObject({
      paymentId,
      chargeId: sampleChargeId,
    });
  });

  it("a second, different charge on a paid invoice is recorded for refund, never credited", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId, { chargeId: "c1" }));
    expect(
      (await deliver(successfulPaymentUpdate(paymentId, { chargeId: "c2", updateId: 9 })))._unsafeUnwrap(),
    ).toEqual({ kind: "ack" });
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(1);
    const extra = await eventsOfType(store, "ExtraChargeReceived");
    expect(extra.map((e) => e.data)).toEqual([
      expect.objectContaining({ telegramPaymentChargeId: "c2", reason: "invoice_already_paid", telegramUserId: owner }),
    ]);
    expect(logger.find("Extra charge on a paid invoice; it will be refunded")).toMatchObject({
      level: "warn",
      fields: { chargeId: "c2" },
    });
  });

  it("an amount that does not match marks the payment failed and keeps the charge for refund", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    expect((await deliver(successfulPaymentUpdate(paymentId, { totalAmount: 25 })))._unsafeUnwrap()).toEqual({
      kind: "ack",
    });
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(0);
    expect((await eventsOfType(store, "PaymentFailed"))[0]?.data).toMatchObject({ reason: "amount_mismatch" });
    expect((await eventsOfType(store, "ExtraChargeReceived"))[0]?.data).toMatchObject({
      reason: "amount_mismatch",
      totalAmount: 25,
    });
    expect(logger.find("Payment marked as failed")).toMatchObject({
      level: "warn",
      fields: { paymentId, userId: owner, chargeId: sampleChargeId, reason: "amount_mismatch" },
    });
  });

  it("a charge whose payload names no payment is recorded as unmatched with a warning", async () => {
    const { deliver, store, logger } = setup();
    expect((await deliver(successfulPaymentUpdate("no-such-payment", { chargeId: "u1" })))._unsafeUnwrap()).toEqual({
      kind: "ack",
    });
    const unmatched = await eventsOfType(store, "UnmatchedChargeReceived");
    expect(unmatched.map((e) => e.data)).toEqual([
      expect.objectContaining({
        telegramPaymentChargeId: "u1",
        invoicePayload: "no-such-payment",
        telegramUserId: owner,
      }),
    ]);
    expect(logger.find("Unmatched charge received; it will be refunded")).toMatchObject({
      level: "warn",
      fields: { chargeId: "u1" },
    });
  });

  it("a charge another payment recorded is acknowledged, not credited, and logged as an error", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const first = await createPayment();
    const second = await createPayment();
    await deliver(successfulPaymentUpdate(first, { chargeId: "X" }));
    expect((await deliver(successfulPaymentUpdate(second, { chargeId: "X", updateId: 9 })))._unsafeUnwrap()).toEqual({
      kind: "ack",
    });
    expect((await eventsOfType(store, "PaymentPaid")).map((e) => e.data.paymentId)).toEqual([first]);
    expect((await eventsOfType(store, "ChargeConflictRecorded")).map((e) => e.data.paymentId)).toEqual([second]);
    expect(logger.find("Charge already recorded on another payment; not credited")).toMatchObject({
      level: "error",
      fields: { paymentId: second, chargeId: "X", ownerUserId: owner },
    });
  });

  it("a charge a payment recorded, sent again with a payload that names no payment, records nothing", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    await deliver(successfulPaymentUpdate(paymentId, { chargeId: "X" }));
    const before = await allEvents(store);
    expect((await deliver(successfulPaymentUpdate("no-such-payment", { chargeId: "X" })))._unsafeUnwrap()).toEqual({
      kind: "ack",
    });
    expect(await allEvents(store)).toEqual(before);
    expect(logger.find("Charge already recorded on another payment; not credited")).toMatchObject({
      level: "error",
      fields: { paymentId: "no-such-payment", chargeId: "X" },
    });
    expect(logger.find("Unmatched charge received; it will be refunded")).toBeUndefined();
  });

  it("answers 503 and writes nothing when the store is down; the redelivery then credits once", async () => {
    const { deliver, createPayment, store } = setup();
    const paymentId = await createPayment();
    const before = await allEvents(store);
    store.appendsDown = true;
    const failed = (await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrapErr();
    expect(failed.type).toBe("StoreUnavailable");
    expect(webhookErrorStatus(failed)).toBe(503);
    expect(webhookErrorBody(failed)).toEqual({ error: "StoreUnavailable", message: failed.message });
    expect(await allEvents(store)).toEqual(before);

    store.appendsDown = false;
    expect((await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(1);
  });

  it("answers 400, never 503, when the store refuses the data for good, logs an error, and a normal payment still credits", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    const before = await allEvents(store);
    const attemptsBefore = store.appendAttempts;
    store.appendsRefused = true;
    const refused = (await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrapErr();
    expect(refused.type).toBe("InvalidEventData");
    expect(webhookErrorStatus(refused)).toBe(400);
    expect(webhookErrorBody(refused)).toEqual({
      error: "InvalidEventData",
      message: expect.stringMatching(
        /^The update holds data the ledger cannot store; nothing was recorded: .*refused/,
      ) as unknown,
    });
    expect(
      logger.find("Could not record successful_payment: the ledger cannot store its data; answering 400"),
    ).toMatchObject({
      level: "error",
      fields: { paymentId, error: "InvalidEventData" },
    });
    expect(store.appendAttempts - attemptsBefore).toBe(1); // a data error is not retried
    expect(await allEvents(store)).toEqual(before);

    store.appendsRefused = false;
    expect((await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(1);
  });

  it("50 concurrent deliveries of one successful_payment credit exactly once", async () => {
    const { deliver, createPayment, store } = setup();
    const paymentId = await createPayment();
    const replies = await Promise.all(Array.from({ length: 50 }, () => deliver(successfulPaymentUpdate(paymentId))));
    expect(replies.map((r) => r._unsafeUnwrap())).toEqual(Array.from({ length: 50 }, () => ({ kind: "ack" })));
    expect(await eventsOfType(store, "PaymentPaid")).toHaveLength(1);
  });
});
