import { describe, expect, it } from "vitest";
import { createBotApi, createBotApiFromConfig, createMockBotApi, mockInvoiceLink, starsInvoice } from "../src/index.js";
import { capturingLogger } from "./support/capturing-logger.js";

const invoice = starsInvoice({ title: "100 credits", description: "Credits", payload: "pay-1", starsAmount: 10 });

describe("MOCK mode", () => {
  it("gives a deterministic invoice link per payload, without a network", async () => {
    const api = createMockBotApi();
    const first = (await api.createInvoiceLink(invoice))._unsafeUnwrap();
    expect(first).toBe(mockInvoiceLink("pay-1"));
    expect(first).toMatch(/^https:\/\/t\.me\/\$mock_invoice_[0-9a-f]{24}$/);
    expect((await api.createInvoiceLink(invoice))._unsafeUnwrap()).toBe(first);
    expect((await api.createInvoiceLink({ ...invoice, payload: "pay-2" }))._unsafeUnwrap()).not.toBe(first);
  });

  it("records every call with the parameters REAL mode would send, and logs it", async () => {
    const logger = capturingLogger();
    const api = createMockBotApi({ logger });
    await api.refundStarPayment({ userId: 7, telegramPaymentChargeId: "ch-1" });
    await api.setWebhook({ url: "https://x.org/hook", secretToken: "abc" });
    expect(api.calls).toEqual([
      { method: "refundStarPayment", params: { user_id: 7, telegram_payment_charge_id: "ch-1" } },
      {
        method: "setWebhook",
        params: { url: "https://x.org/hook", secret_token: "abc", allowed_updates: ["message", "pre_checkout_query"] },
      },
    ]);
    expect(logger.entries.map((e) => [e.message, e.fields.method])).toEqual([
      ["Bot API call skipped (MOCK mode)", "refundStarPayment"],
      ["Bot API call skipped (MOCK mode)", "setWebhook"],
    ]);
  });

  it("validates like REAL mode and records nothing for a refused request", async () => {
    const api = createMockBotApi();
    expect((await api.createInvoiceLink({ ...invoice, prices: [] }))._unsafeUnwrapErr().type).toBe("InvalidRequest");
    expect(api.calls).toHaveLength(0);
  });

  it("refunds a charge once and answers CHARGE_ALREADY_REFUNDED to the second refund, like Telegram", async () => {
    const api = createMockBotApi();
    expect((await api.refundStarPayment({ userId: 7, telegramPaymentChargeId: "ch-1" }))._unsafeUnwrap()).toBe(true);
    expect(
      (await api.refundStarPayment({ userId: 7, telegramPaymentChargeId: "ch-1" }))._unsafeUnwrapErr(),
    ).toMatchObject({
      type: "TelegramError",
      errorCode: 400,
      description: "Bad Request: CHARGE_ALREADY_REFUNDED",
    });
  });

  it("returns seeded star transactions, paged, and their balance", async () => {
    const api = createMockBotApi();
    api.seedStarTransactions(
      Array.from({ length: 150 }, (_, i) => ({
        id: `t${i}`,
        starsAmount: 10,
        nanostarAmount: 0,
        date: new Date(1764115200_000),
        source: { type: "user", userId: 7, invoicePayload: `p${i}` },
        receiver: undefined,
      })),
    );
    api.seedStarTransactions([
      {
        id: "t0",
        starsAmount: 10,
        nanostarAmount: 0,
        date: new Date(1764118800_000),
        source: undefined,
        receiver: { type: "user", userId: 7, invoicePayload: undefined },
      },
    ]);
    const all = (await api.getAllStarTransactions())._unsafeUnwrap();
    expect(all.complete).toBe(true);
    expect(all.transactions).toHaveLength(151);
    expect(all.transactions[0]).toEqual({
      id: "t0",
      starsAmount: 10,
      nanostarAmount: 0,
      date: new Date(1764115200_000),
      source: { type: "user", userId: 7, invoicePayload: "p0" },
      receiver: undefined,
    });
    expect(api.calls.filter((c) => c.method === "getStarTransactions").map((c) => c.params)).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
    ]);
    expect((await api.getMyStarBalance())._unsafeUnwrap()).toEqual({ starsAmount: 1490, nanostarAmount: 0 });
  });

  it("remembers the webhook it was given", async () => {
    const api = createMockBotApi();
    await api.setWebhook({ url: "https://x.org/hook" });
    expect((await api.getWebhookInfo())._unsafeUnwrap()).toMatchObject({
      url: "https://x.org/hook",
      allowedUpdates: ["message", "pre_checkout_query"],
    });
    await api.deleteWebhook({ dropPendingUpdates: true });
    expect((await api.getWebhookInfo())._unsafeUnwrap().url).toBe("");
  });

  it("fails the next call of a method on request, for tests of error paths", async () => {
    const api = createMockBotApi();
    api.failNext("refundStarPayment", { errorCode: 500, description: "Internal Server Error" });
    expect(
      (await api.refundStarPayment({ userId: 7, telegramPaymentChargeId: "ch-1" }))._unsafeUnwrapErr(),
    ).toMatchObject({ errorCode: 500 });
    expect((await api.refundStarPayment({ userId: 7, telegramPaymentChargeId: "ch-1" })).isOk()).toBe(true);
  });

  it("is what createBotApi and the settings give for PAYMENT_MODE=MOCK", () => {
    expect(createBotApi({ mode: "MOCK" }).mode).toBe("MOCK");
    const fromConfig = createBotApiFromConfig({
      PAYMENT_MODE: "MOCK",
      MASTER_BOT_TOKEN: undefined,
      TELEGRAM_API_ROOT: "https://api.telegram.org",
      TELEGRAM_TEST_ENV: false,
    });
    expect(fromConfig.mode).toBe("MOCK");
  });
});
