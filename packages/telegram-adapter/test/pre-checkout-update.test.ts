import { randomUUID } from "node:crypto";
import { preCheckoutErrorMessages, type PreCheckoutRefusal } from "@starledger/core";
import { allEvents, eventsOfType } from "@starledger/core/testing";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { preCheckoutUnavailableMessage, type WebhookReply } from "../src/index.js";
import { preCheckoutUpdate, successfulPaymentUpdate } from "./support/fixtures.js";
import { hourMs, owner, replyBody, setup } from "./support/webhook-service-setup.js";

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
