import { randomUUID } from "node:crypto";
import { InMemoryEventStore, paymentStream, StarsLedger, type LedgerSettings } from "@starledger/core";
import { allEvents, FaultyEventStore } from "@starledger/core/testing";
import { describe, expect, it } from "vitest";
import {
  createAdminRefund,
  createBotApi,
  createMockBotApi,
  notConfiguredMessage,
  type AdminRefundRequest,
  type BotApi,
} from "../src/index.js";
import { capturingLogger } from "./support/capturing-logger.js";

const settings: LedgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 60 * 60_000, requireSameUser: false };
const now = new Date("2026-03-01T10:00:00.000Z");
const owner = 101;
const payer = 777;

/** Two paid payments on an in-memory store (behind a switch that takes it down), and the refund on the mock Bot API. */
const setup = async (options: { botApi?: (mock: BotApi) => BotApi } = {}) => {
  const memory = new InMemoryEventStore();
  const store = new FaultyEventStore(memory);
  const ledger = new StarsLedger(store, settings, { retryPause: () => Promise.resolve() });
  const paymentIds = [randomUUID(), randomUUID()] as const;
  for (const [index, paymentId] of paymentIds.entries()) {
    (await ledger.createPayment({ paymentId, userId: owner, starsAmount: 25, now }))._unsafeUnwrap();
    const charge = {
      invoicePayload: paymentId,
      telegramPaymentChargeId: `charge-${index}`,
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 25,
      telegramUserId: payer,
      now,
    };
    (await ledger.recordSuccessfulPayment(charge))._unsafeUnwrap();
  }
  const mock = createMockBotApi();
  const adminRefund = createAdminRefund({ ledger, botApi: options.botApi?.(mock) ?? mock, now: () => now });
  const log = capturingLogger();
  const refund = (paymentId: string, idempotencyKey?: string) =>
    adminRefund.refund({ paymentId, admin: "user:1", idempotencyKey, log } satisfies AdminRefundRequest);
  const typesOn = async (paymentId: string) =>
    (await memory.readStream(paymentStream(paymentId)))._unsafeUnwrap().events.map((e) => e.type);
  const telegramRefunds = () => mock.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params);
  return { memory, store, ledger, mock, paymentIds, refund, log, typesOn, telegramRefunds };
};

describe("the admin refund", () => {
  it("records the request, refunds the payer at Telegram, then records PaymentRefunded and logs the line", async () => {
    const typesWhenTelegramAsked: string[][] = [];
    const t = await setup({
      botApi: (mock) => ({
        ...mock,
        refundStarPayment: async (params) => {
          typesWhenTelegramAsked.push(await t.typesOn(t.paymentIds[0]));
          return mock.refundStarPayment(params);
        },
      }),
    });
    const [paymentId] = t.paymentIds;
    const position = (await t.refund(paymentId, "ticket-42"))._unsafeUnwrap();
    expect(typesWhenTelegramAsked).toEqual([["PaymentCreated", "PaymentPaid", "RefundRequested"]]);
    expect(t.telegramRefunds()).toEqual([{ user_id: payer, telegram_payment_charge_id: "charge-0" }]);
    const events = (await allEvents(t.memory)).filter((e) => e.stream === paymentStream(paymentId));
    expect(events.map((e) => e.type)).toEqual(["PaymentCreated", "PaymentPaid", "RefundRequested", "PaymentRefunded"]);
    expect(events[2]?.data).toEqual({
      paymentId,
      telegramPaymentChargeId: "charge-0",
      telegramUserId: payer,
      starsAmount: 25,
      admin: "user:1",
      idempotencyKey: "ticket-42",
      requestedAt: now.toISOString(),
    });
    expect(position).toBe(events[3]?.position);
    expect(t.log.find("Payment refunded")).toEqual({
      level: "info",
      fields: { paymentId, userId: owner, chargeId: "charge-0", admin: "user:1" },
      message: "Payment refunded",
    });
  });

  it("when Telegram refuses, nothing is refunded: the answer carries Telegram's reason and the request stays open", async () => {
    const t = await setup();
    t.mock.failNext("refundStarPayment", { errorCode: 400, description: "Bad Request: not enough Stars" });
    const [paymentId] = t.paymentIds;
    const refused = (await t.refund(paymentId))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      type: "TelegramRefundFailed",
      details: { telegram: "Telegram refused refundStarPayment: 400 Bad Request: not enough Stars" },
    });
    expect(await t.typesOn(paymentId)).toEqual(["PaymentCreated", "PaymentPaid", "RefundRequested"]);
    expect(t.log.find("Refund refused by Telegram")).toMatchObject({
      level: "error",
      fields: { paymentId, chargeId: "charge-0", telegram: expect.stringContaining("not enough Stars") as unknown },
    });
  });

  it("Telegram's CHARGE_ALREADY_REFUNDED counts as done: the refund is recorded", async () => {
    const t = await setup();
    t.mock.failNext("refundStarPayment", { errorCode: 400, description: "Bad Request: CHARGE_ALREADY_REFUNDED" });
    const [paymentId] = t.paymentIds;
    expect((await t.refund(paymentId)).isOk()).toBe(true);
    expect(await t.typesOn(paymentId)).toEqual(["PaymentCreated", "PaymentPaid", "RefundRequested", "PaymentRefunded"]);
  });

  it("REAL mode without a bot token is PaymentSystemNotConfigured", async () => {
    const t = await setup({ botApi: () => createBotApi({ mode: "REAL" }) });
    const refused = (await t.refund(t.paymentIds[0]))._unsafeUnwrapErr();
    expect(refused).toEqual({ type: "PaymentSystemNotConfigured", message: notConfiguredMessage });
  });

  it("a store outage is StoreUnavailable before Telegram is asked, and records nothing", async () => {
    const t = await setup();
    t.store.down = true;
    expect((await t.refund(t.paymentIds[0], "ticket-42"))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect(t.telegramRefunds()).toEqual([]);
    expect(await t.typesOn(t.paymentIds[0])).toEqual(["PaymentCreated", "PaymentPaid"]);
  });

  it("a store outage after Telegram refunded leaves the request open; asked again, it is recorded without a second refund", async () => {
    let outageDuringRefund = true;
    const t = await setup({
      botApi: (mock) => ({
        ...mock,
        refundStarPayment: async (params) => {
          const answered = await mock.refundStarPayment(params);
          t.store.appendsDown = outageDuringRefund;
          return answered;
        },
      }),
    });
    const [paymentId] = t.paymentIds;
    expect((await t.refund(paymentId, "ticket-42"))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect(await t.typesOn(paymentId)).toEqual(["PaymentCreated", "PaymentPaid", "RefundRequested"]);
    outageDuringRefund = false;
    t.store.appendsDown = false;
    expect((await t.refund(paymentId, "ticket-42")).isOk()).toBe(true);
    expect(await t.typesOn(paymentId)).toEqual(["PaymentCreated", "PaymentPaid", "RefundRequested", "PaymentRefunded"]);
    // Telegram was asked twice and refunded once: the second answer was CHARGE_ALREADY_REFUNDED.
    expect(t.telegramRefunds()).toHaveLength(2);
  });

  it("the same refund asked again under its key answers the refund's position without asking Telegram again", async () => {
    const t = await setup();
    const [paymentId] = t.paymentIds;
    const first = (await t.refund(paymentId, "ticket-42"))._unsafeUnwrap();
    const again = (await t.refund(paymentId, "ticket-42"))._unsafeUnwrap();
    expect(again).toBe(first);
    expect(t.telegramRefunds()).toHaveLength(1);
    expect((await t.refund(paymentId, "ticket-43"))._unsafeUnwrapErr().type).toBe("PaymentAlreadyRefunded");
  });

  it("two refunds with one key on two payments: the second is an IdempotencyConflict and never reaches Telegram", async () => {
    const t = await setup();
    const [first, second] = t.paymentIds;
    (await t.refund(first, "ticket-42"))._unsafeUnwrap();
    expect((await t.refund(second, "ticket-42"))._unsafeUnwrapErr()).toEqual({
      type: "IdempotencyConflict",
      message: "This Idempotency-Key was already used to refund another payment",
    });
    expect(t.telegramRefunds()).toEqual([{ user_id: payer, telegram_payment_charge_id: "charge-0" }]);
    expect(await t.typesOn(second)).toEqual(["PaymentCreated", "PaymentPaid"]);
  });

  it("the key is claimed before Telegram is asked: a refund of another payment under it, sent meanwhile, never reaches Telegram", async () => {
    let meanwhile: (() => Promise<void>) | undefined;
    const t = await setup({
      botApi: (mock) => ({
        ...mock,
        refundStarPayment: async (params) => {
          await meanwhile?.();
          return mock.refundStarPayment(params);
        },
      }),
    });
    const [first, second] = t.paymentIds;
    let raced: Awaited<ReturnType<typeof t.refund>> | undefined;
    meanwhile = async () => {
      meanwhile = undefined;
      raced = await t.refund(second, "ticket-42");
    };
    expect((await t.refund(first, "ticket-42")).isOk()).toBe(true);
    expect(raced?._unsafeUnwrapErr().type).toBe("IdempotencyConflict");
    expect(t.telegramRefunds()).toEqual([{ user_id: payer, telegram_payment_charge_id: "charge-0" }]);
    expect(await t.typesOn(second)).toEqual(["PaymentCreated", "PaymentPaid"]);
  });

  it.each([
    ["an unknown payment", "PaymentNotFound"],
    ["a payment that is not paid", "PaymentNotPaid"],
  ])("%s is refused before Telegram is asked", async (what, type) => {
    const t = await setup();
    const paymentId = randomUUID();
    if (what === "a payment that is not paid")
      (await t.ledger.createPayment({ paymentId, userId: owner, starsAmount: 10, now }))._unsafeUnwrap();
    expect((await t.refund(paymentId, "ticket-42"))._unsafeUnwrapErr().type).toBe(type);
    expect(t.telegramRefunds()).toEqual([]);
  });
});
