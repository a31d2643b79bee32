import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseUpdate, translateUpdate } from "../src/index.js";
import { fixture, runbookSimulatedPayment } from "./support/fixtures.js";

const now = new Date("2025-11-26T00:00:00Z");
const paymentId = randomUUID();
const translated = (body: unknown) => translateUpdate(parseUpdate(body)._unsafeUnwrap(), now);

describe("translateUpdate", () => {
  it("turns a pre_checkout_query into answerPreCheckout with the query id, payer and update correlation", () => {
    expect(translated(fixture("pre_checkout_query", paymentId))).toEqual({
      kind: "answerPreCheckout",
      input: {
        invoicePayload: paymentId,
        queryId: "4382651957285316001",
        telegramUserId: 512345678,
        currency: "XTR",
        totalAmount: 10,
        now,
      },
      context: { correlationId: "tg-update-710000001" },
    });
  });

  it("turns a successful_payment into recordSuccessfulPayment with both charge ids and from.id", () => {
    expect(translated(fixture("successful_payment", paymentId))).toEqual({
      kind: "recordSuccessfulPayment",
      input: {
        invoicePayload: paymentId,
        telegramPaymentChargeId: "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        providerPaymentChargeId: "",
        currency: "XTR",
        totalAmount: 10,
        telegramUserId: 512345678,
        now,
      },
      context: { correlationId: "tg-update-710000002" },
    });
  });

  it("leaves telegramUserId out when the message has no sender", () => {
    const call = translated(runbookSimulatedPayment(paymentId));
    expect(call.kind === "recordSuccessfulPayment" && "telegramUserId" in call.input).toBe(false);
  });

  it("turns a refunded_payment into recordRefundedPayment, and anything else into nothing", () => {
    expect(translated(fixture("refunded_payment", paymentId))).toEqual({
      kind: "recordRefundedPayment",
      input: { invoicePayload: paymentId, telegramPaymentChargeId: "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", now },
      context: { correlationId: "tg-update-710000003" },
    });
    expect(translated(fixture("text_message"))).toEqual({ kind: "none" });
  });
});
