import { randomUUID } from "node:crypto";
import {
  InMemoryEventStore,
  preCheckoutErrorMessages,
  StarsLedger,
  type LedgerSettings,
  type PreCheckoutRefusal,
} from "@starledger/core";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  createMockBotApi,
  createWebhookService,
  preCheckoutUnavailableMessage,
  webhookErrorBody,
  webhookErrorStatus,
  type WebhookReply,
  type WebhookServiceSettings,
} from "../src/index.js";
import { capturingLogger } from "./support/capturing-logger.js";
import { allEvents, eventsOfType, FaultyEventStore } from "@starledger/core/testing";
import { fixture, preCheckoutUpdate, runbookSimulatedPayment, successfulPaymentUpdate } from "./support/fixtures.js";

const hourMs = 60 * 60 * 1000;
const ledgerSettings: LedgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 24 * hourMs, requireSameUser: true };
const owner = 512345678;
const sampleChargeId = "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

const setup = (options: { settings?: Partial<WebhookServiceSettings>; now?: () => Date } = {}) => {
  const store = new FaultyEventStore(new InMemoryEventStore());
  const ledger = new StarsLedger(store, ledgerSettings);
  const botApi = createMockBotApi();
  const logger = capturingLogger();
  const service = createWebhookService({
    ledger,
    botApi,
    logger,
    settings: { preCheckoutAnswer: "reply", ...options.settings },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const createPayment = async (createdAt = new Date()): Promise<string> => {
    const paymentId = randomUUID();
    (await ledger.createPayment({ paymentId, userId: owner, packageId: "pkg_100", now: createdAt }))._unsafeUnwrap();
    return paymentId;
  };
  const deliver = (body: unknown, secretToken?: string) => service.handle({ secretToken, body });
  return { store, ledger, botApi, logger, service, createPayment, deliver };
};

const replyBody = (reply: WebhookReply) => {
  if (reply.kind !== "reply") throw new Error("expected a reply with a body");
  return reply.body;
};

describe("pre_checkout_query", () => {
  it("approves a pending payment in the webhook reply and records the approval", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    const reply = (await deliver(preCheckoutUpdate(paymentId)))._unsafeUnwrap();
    expect(reply).toEqual({
      kind: "reply",
      body: { method: "answerPreCheckoutQuery", pre_checkout_query_id: "4382651957285316001", ok: true },
    });
    const approved = await eventsOfType(store, "PreCheckoutApproved");
    expect(approved).toHaveLength(1);
    expect(approved[0]?.metadata.correlationId).toBe("tg-update-710000001");
    expect(approved[0]?.data).toMatchObject({ queryId: "4382651957285316001", telegramUserId: owner });
    expect(logger.find("Pre-checkout approved")?.fields).toMatchObject({
      paymentId,
      userId: owner,
      queryId: "4382651957285316001",
    });
  });

  const refusals: {
    reason: PreCheckoutRefusal;
    arrange: (ctx: ReturnType<typeof setup>, paymentId: string) => Promise<unknown>;
    update?: (paymentId: string) => unknown;
    at?: number;
  }[] = [
    { reason: "payment_not_found", arrange: () => Promise.resolve(), update: () => preCheckoutUpdate(randomUUID()) },
    {
      reason: "payment_not_found",
      arrange: () => Promise.resolve(),
      update: () => preCheckoutUpdate("not-a-payment-id"),
    },
    {
      reason: "already_paid",
      arrange: async ({ deliver }, paymentId) => (await deliver(successfulPaymentUpdate(paymentId)))._unsafeUnwrap(),
    },
    {
      reason: "not_pending",
      arrange: async ({ ledger }, paymentId) =>
        (
          await ledger.recordInvoiceCreationFailed(paymentId, "Bad Request: bot was blocked", new Date())
        )._unsafeUnwrap(),
    },
    {
      reason: "amount_mismatch",
      arrange: () => Promise.resolve(),
      update: (id) => preCheckoutUpdate(id, { totalAmount: 25 }),
    },
    {
      reason: "currency_mismatch",
      arrange: () => Promise.resolve(),
      update: (id) => preCheckoutUpdate(id, { currency: "USD" }),
    },
    { reason: "other_user", arrange: () => Promise.resolve(), update: (id) => preCheckoutUpdate(id, { fromId: 999 }) },
    { reason: "expired", arrange: () => Promise.resolve(), at: 25 * hourMs },
  ];

  it.each(refusals)(
    "refuses with core's message when the reason is $reason",
    async ({ reason, arrange, update, at }) => {
      const createdAt = new Date();
      const ctx = setup({ now: () => new Date(createdAt.getTime() + (at ?? 0)) });
      const paymentId = await ctx.createPayment(createdAt);
      await arrange(ctx, paymentId);
      const before = (await allEvents(ctx.store)).length;
      const reply = (await ctx.deliver(update?.(paymentId) ?? preCheckoutUpdate(paymentId)))._unsafeUnwrap();
      expect(replyBody(reply)).toEqual({
        method: "answerPreCheckoutQuery",
        pre_checkout_query_id: "4382651957285316001",
        ok: false,
        error_message: preCheckoutErrorMessages[reason],
      });
      expect(await allEvents(ctx.store)).toHaveLength(before);
      expect(ctx.logger.find("Pre-checkout refused")?.fields).toMatchObject({ reason });
    },
  );

  it("refuses with the temporary message (200, not 503) when the store is down", async () => {
    const { deliver, createPayment, store, logger } = setup();
    const paymentId = await createPayment();
    store.appendsDown = true;
    const reply = (await deliver(preCheckoutUpdate(paymentId)))._unsafeUnwrap();
    expect(replyBody(reply)).toMatchObject({ ok: false, error_message: preCheckoutUnavailableMessage });
    expect(logger.messages("error")).toContain("Pre-checkout refused: payments temporarily unavailable");
  });

  it("refuses with the temporary message when the decision takes longer than the budget", async () => {
    const { deliver, createPayment, store, logger } = setup({ settings: { preCheckoutBudgetMs: 50 } });
    const paymentId = await createPayment();
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    // A slow store: the payment's state is cached, so the decision waits on its append, not on a read.
    store.readDelayMs = 400;
    store.appendDelayMs = 400;
    let reply: WebhookReply | undefined;
    const delivered = deliver(preCheckoutUpdate(paymentId)).then((result) => (reply = result._unsafeUnwrap()));
    await vi.advanceTimersByTimeAsync(49);
    expect(reply).toBeUndefined();
    // At 50 ms of fake time the budget ends while the store's read has 350 ms to go: the reply does not wait for it.
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.getTimerCount()).toBe(1);
    expect(reply?.kind === "reply" ? reply.body : reply).toMatchObject({
      ok: false,
      error_message: preCheckoutUnavailableMessage,
    });
    expect(logger.find("Pre-checkout refused: not decided within the budget")?.fields).toMatchObject({ budgetMs: 50 });
    await vi.runAllTimersAsync();
    await delivered;
  });

  it("with PRE_CHECKOUT_ANSWER=api, calls answerPreCheckoutQuery and acknowledges", async () => {
    const { deliver, createPayment, botApi } = setup({ settings: { preCheckoutAnswer: "api" } });
    const paymentId = await createPayment();
    expect((await deliver(preCheckoutUpdate(paymentId)))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect((await deliver(preCheckoutUpdate(paymentId, { queryId: "q2", totalAmount: 50 })))._unsafeUnwrap()).toEqual({
      kind: "ack",
    });
    expect(botApi.calls).toEqual([
      { method: "answerPreCheckoutQuery", params: { pre_checkout_query_id: "4382651957285316001", ok: true } },
      {
        method: "answerPreCheckoutQuery",
        params: { pre_checkout_query_id: "q2", ok: false, error_message: preCheckoutErrorMessages.amount_mismatch },
      },
    ]);
  });

  it("with PRE_CHECKOUT_ANSWER=api, falls back to the webhook reply when the API call fails", async () => {
    const { deliver, createPayment, botApi, logger } = setup({ settings: { preCheckoutAnswer: "api" } });
    const paymentId = await createPayment();
    botApi.failNext("answerPreCheckoutQuery", { errorCode: 502, description: "Bad Gateway" });
    const reply = (await deliver(preCheckoutUpdate(paymentId)))._unsafeUnwrap();
    expect(replyBody(reply)).toMatchObject({ method: "answerPreCheckoutQuery", ok: true });
    expect(logger.messages("warn")).toContain("answerPreCheckoutQuery failed; answering in the webhook reply instead");
  });
});

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

describe("everything else", () => {
  it("acknowledges an update it does not handle and writes nothing", async () => {
    const { deliver, store } = setup();
    expect((await deliver(fixture("text_message")))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await allEvents(store)).toHaveLength(0);
  });

  it("answers 400 to a body that is not an update", async () => {
    const { deliver } = setup();
    const error = (await deliver({ hello: "world" }))._unsafeUnwrapErr();
    expect(error.type).toBe("InvalidUpdate");
    expect(webhookErrorStatus(error)).toBe(400);
    expect(webhookErrorBody(error).error).toBe("InvalidUpdate");
  });

  it("answers 401 to a wrong or missing secret token when one is configured, before reading the body", async () => {
    const { deliver, store } = setup({ settings: { webhookSecret: "s3cret_Token-1" } });
    for (const token of ["wrong", undefined, "s3cret_Token-", "s3cret_Token-12"]) {
      const error = (await deliver(fixture("text_message"), token))._unsafeUnwrapErr();
      expect(error.type).toBe("BadSecret");
      expect(webhookErrorStatus(error)).toBe(401);
    }
    expect((await deliver({ not: "an update" }, "wrong"))._unsafeUnwrapErr().type).toBe("BadSecret");
    expect((await deliver(fixture("text_message"), "s3cret_Token-1"))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await allEvents(store)).toHaveLength(0);
  });

  it("accepts requests without a secret token when none is configured (the MOCK runbook flow)", async () => {
    const { deliver } = setup();
    expect((await deliver(fixture("text_message"), undefined))._unsafeUnwrap()).toEqual({ kind: "ack" });
  });
});
