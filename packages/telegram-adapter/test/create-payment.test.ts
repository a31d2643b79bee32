import { InMemoryEventStore, StarsLedger, type LedgerSettings } from "@starledger/core";
import { allEvents, FaultyEventStore } from "@starledger/core/testing";
import { describe, expect, it } from "vitest";
import {
  createBotApi,
  createMockBotApi,
  createPaymentCreation,
  mockInvoiceLink,
  notConfiguredMessage,
  paymentIdFor,
  pendingPaymentsPerUserMax,
  type BotApi,
  type CreatePaymentRequest,
} from "../src/index.js";
import { capturingLogger } from "./support/capturing-logger.js";

const settings: LedgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 60 * 60_000, requireSameUser: true };
const now = new Date("2026-03-01T10:00:00.000Z");
const userId = 42;

/** The use case on an in-memory store (behind a switch that takes it down) and the mock Bot API. */
const setup = (options: { botApi?: BotApi } = {}) => {
  const memory = new InMemoryEventStore();
  const store = new FaultyEventStore(memory);
  const ledger = new StarsLedger(store, settings, { retryPause: () => Promise.resolve() });
  const mock = createMockBotApi();
  /** The read side as the read models would answer: the payments they know, and the user's unpaid count. */
  const readSide = { known: new Set<string>(), pending: 0 };
  const creation = createPaymentCreation({
    ledger,
    botApi: options.botApi ?? mock,
    payments: {
      get: (paymentId) => (readSide.known.has(paymentId) ? { paymentId } : undefined),
      pendingCountForUser: () => readSide.pending,
    },
    now: () => now,
  });
  const log = capturingLogger();
  const request = (overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest => ({
    userId,
    starsAmount: 10,
    log,
    ...overrides,
  });
  const types = async () => (await allEvents(memory)).map((e) => e.type);
  const invoiceCalls = () => mock.calls.filter((c) => c.method === "createInvoiceLink");
  return { memory, store, ledger, mock, readSide, creation, log, request, types, invoiceCalls };
};

describe("create a payment with its invoice", () => {
  it("records the payment, asks Telegram for its Stars invoice, records InvoiceIssued and logs the runbook line", async () => {
    const t = setup();
    const created = (await t.creation.createWithInvoice(t.request()))._unsafeUnwrap();
    const paymentId = created.payment.paymentId;
    expect(created).toMatchObject({
      payment: { status: "PENDING", userId, packageId: "pkg_100", starsAmount: 10, credits: 100 },
      invoiceLink: mockInvoiceLink(paymentId),
    });
    expect(await t.types()).toEqual(["PaymentCreated", "InvoiceIssued"]);
    expect(created.position).toBe((await allEvents(t.memory)).at(-1)?.position);
    expect(t.invoiceCalls().map((c) => c.params)).toEqual([
      expect.objectContaining({
        title: "100 credits",
        payload: paymentId,
        currency: "XTR",
        prices: [{ label: "100 credits", amount: 10 }],
      }),
    ]);
    expect(t.log.find("Payment record created")).toEqual({
      level: "info",
      fields: { paymentId, userId, starsAmount: 10, credits: 100 },
      message: "Payment record created",
    });
  });

  it("when Telegram refuses the invoice, the payment is recorded FAILED and the answer carries Telegram's reason", async () => {
    const t = setup();
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked by the user" });
    const failed = (await t.creation.createWithInvoice(t.request()))._unsafeUnwrapErr();
    const events = await allEvents(t.memory);
    expect(events.map((e) => e.type)).toEqual(["PaymentCreated", "PaymentFailed"]);
    expect(events[1]?.data).toMatchObject({ reason: "invoice_creation_failed" });
    expect(failed).toEqual({
      type: "InvoiceCreationFailed",
      message: "Failed to create invoice",
      details: { telegram: "Telegram refused createInvoiceLink: 400 Bad Request: bot was blocked by the user" },
      position: events[1]?.position,
    });
    expect(t.log.find("Payment marked as failed")).toMatchObject({
      level: "error",
      fields: { userId, reason: "invoice_creation_failed", telegram: expect.stringContaining("blocked") as unknown },
    });
  });

  it("a payment whose invoice failed, asked again under its key, answers the failure without asking Telegram", async () => {
    const t = setup();
    t.mock.failNext("createInvoiceLink", { errorCode: 400, description: "Bad Request: bot was blocked by the user" });
    await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1" }));
    const again = (await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1" })))._unsafeUnwrapErr();
    expect(again).toEqual({
      type: "InvoiceCreationFailed",
      message: "Failed to create invoice",
      details: { failureReason: "invoice_creation_failed" },
    });
    expect(t.invoiceCalls()).toHaveLength(1);
  });

  it("REAL mode without a bot token is PaymentSystemNotConfigured, and the payment is recorded FAILED", async () => {
    const t = setup({ botApi: createBotApi({ mode: "REAL" }) });
    const refused = (await t.creation.createWithInvoice(t.request()))._unsafeUnwrapErr();
    expect(refused).toEqual({ type: "PaymentSystemNotConfigured", message: notConfiguredMessage });
    expect(await t.types()).toEqual(["PaymentCreated", "PaymentFailed"]);
  });

  it("a store outage is StoreUnavailable: nothing is recorded and Telegram is not asked", async () => {
    const t = setup();
    t.store.down = true;
    expect((await t.creation.createWithInvoice(t.request()))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect(await t.types()).toEqual([]);
    expect(t.mock.calls).toEqual([]);
  });

  it("a store that fails once Telegram answered leaves the link unrecorded; the same key asked again issues it", async () => {
    const mock = createMockBotApi();
    let failAppends = true;
    const t = setup({
      botApi: {
        ...mock,
        createInvoiceLink: async (invoice) => {
          const link = await mock.createInvoiceLink(invoice);
          t.store.appendsDown = failAppends;
          return link;
        },
      },
    });
    const request = t.request({ idempotencyKey: "order-1" });
    expect((await t.creation.createWithInvoice(request))._unsafeUnwrapErr().type).toBe("StoreUnavailable");
    expect(await t.types()).toEqual(["PaymentCreated"]);
    failAppends = false;
    const created = (await t.creation.createWithInvoice(request))._unsafeUnwrap();
    expect(created.invoiceLink).toBe(mockInvoiceLink(created.payment.paymentId));
    expect(await t.types()).toEqual(["PaymentCreated", "InvoiceIssued"]);
  });

  it("the same Idempotency-Key is the same payment: asked again it answers as the first time, and Telegram is asked once", async () => {
    const t = setup();
    const first = (await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1" })))._unsafeUnwrap();
    const again = (await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1" })))._unsafeUnwrap();
    expect(first.payment.paymentId).toBe(paymentIdFor(userId, "order-1"));
    expect(again).toEqual({ ...first, position: undefined });
    expect(t.invoiceCalls()).toHaveLength(1);
    expect(t.log.messages().filter((m) => m === "Payment record created")).toHaveLength(1);
    expect(await t.types()).toEqual(["PaymentCreated", "InvoiceIssued"]);
  });

  it("the same Idempotency-Key with another package is an IdempotencyConflict and changes nothing", async () => {
    const t = setup();
    await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1" }));
    const refused = await t.creation.createWithInvoice(t.request({ idempotencyKey: "order-1", starsAmount: 50 }));
    expect(refused._unsafeUnwrapErr()).toEqual({
      type: "IdempotencyConflict",
      message: "This Idempotency-Key was already used with a different request body",
    });
    expect(await t.types()).toEqual(["PaymentCreated", "InvoiceIssued"]);
  });
});

describe("a create refused before the ledger sees it", () => {
  it.each([
    ["no package costs the amount", { starsAmount: 11 }, 0, "UnknownPackage"],
    ["the package costs another amount", { packageId: "pkg_100", starsAmount: 25 }, 0, "UnknownPackage"],
    ["the user holds the most unpaid payments allowed", {}, pendingPaymentsPerUserMax, "TooManyPendingPayments"],
    ["the user holds one fewer", {}, pendingPaymentsPerUserMax - 1, undefined],
  ] as const)("%s: %s", async (_case, overrides, pending, refusal) => {
    const t = setup();
    t.readSide.pending = pending;
    expect(t.creation.refusedBeforeLedger(t.request(overrides))?.type).toBe(refusal);
    const created = await t.creation.createWithInvoice(t.request(overrides));
    if (refusal === undefined) {
      expect(created.isOk()).toBe(true);
      return;
    }
    expect(created._unsafeUnwrapErr().type).toBe(refusal);
    expect(await t.types()).toEqual([]);
    expect(t.mock.calls).toEqual([]);
  });

  it("at the cap, a replayed Idempotency-Key still answers its payment", async () => {
    const t = setup();
    const first = (await t.creation.createWithInvoice(t.request({ idempotencyKey: "kept" })))._unsafeUnwrap();
    t.readSide.known.add(first.payment.paymentId);
    t.readSide.pending = pendingPaymentsPerUserMax;
    expect(t.creation.refusedBeforeLedger(t.request({ idempotencyKey: "kept" }))).toBeUndefined();
    const again = (await t.creation.createWithInvoice(t.request({ idempotencyKey: "kept" })))._unsafeUnwrap();
    expect(again.payment.paymentId).toBe(first.payment.paymentId);
    const other = await t.creation.createWithInvoice(t.request({ idempotencyKey: "new" }));
    expect(other._unsafeUnwrapErr()).toMatchObject({
      type: "TooManyPendingPayments",
      message: expect.stringContaining("20 unpaid payments") as unknown,
    });
  });
});
