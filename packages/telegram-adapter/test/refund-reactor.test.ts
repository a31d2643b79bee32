import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { InMemoryEventStore, StarsLedger, type EventStore, type LedgerSettings } from "@starledger/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  createBotApi,
  createMockBotApi,
  createRefundReactor,
  createWebhookService,
  type BotApi,
  type RefundReactor,
} from "../src/index.js";
import { capturingLogger, type CapturingLogger } from "./support/capturing-logger.js";
import { FakeBotApiServer } from "../src/testing/index.js";
import { eventsOfType, FaultyEventStore, waitUntil } from "@starledger/core/testing";
import { runbookSimulatedPayment, successfulPaymentUpdate } from "./support/fixtures.js";

const ledgerSettings: LedgerSettings = {
  starsToCreditsRate: 10,
  paymentTtlMs: 24 * 60 * 60 * 1000,
  requireSameUser: true,
};
const owner = 512345678;

const running: RefundReactor[] = [];
const servers: FakeBotApiServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((reactor) => reactor.stop()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** A store with one paid payment; `charge` delivers another successful_payment for it through the webhook. */
const paidPayment = async () => {
  const store = new InMemoryEventStore();
  const ledger = new StarsLedger(store, ledgerSettings);
  const webhook = createWebhookService({
    ledger,
    botApi: createMockBotApi(),
    logger: capturingLogger(),
    settings: { preCheckoutAnswer: "reply" },
  });
  const paymentId = randomUUID();
  (await ledger.createPayment({ paymentId, userId: owner, packageId: "pkg_100", now: new Date() }))._unsafeUnwrap();
  const deliver = async (body: unknown) => (await webhook.handle({ secretToken: undefined, body }))._unsafeUnwrap();
  await deliver(successfulPaymentUpdate(paymentId, { chargeId: "c1" }));
  const charge = (chargeId: string, options: { totalAmount?: number } = {}) =>
    deliver(successfulPaymentUpdate(paymentId, { chargeId, ...options }));
  return { store, ledger, paymentId, charge, deliver };
};

const startReactor = async (options: {
  store: EventStore;
  ledger: StarsLedger;
  botApi: BotApi;
  logger?: CapturingLogger;
  baseDelayMs?: number;
}) => {
  const logger = options.logger ?? capturingLogger();
  const reactor = createRefundReactor({
    store: options.store,
    ledger: options.ledger,
    botApi: options.botApi,
    logger,
    retry: { baseDelayMs: options.baseDelayMs ?? 20, maxDelayMs: 200, attemptsMax: 5 },
  });
  running.push(reactor);
  await reactor.start();
  return { reactor, logger };
};

const count = async (store: EventStore, type: string): Promise<number> => (await eventsOfType(store, type)).length;

describe("refund reactor", () => {
  it("refunds a second charge on a paid invoice once and records ExtraChargeRefunded", async () => {
    const { store, ledger, paymentId, charge } = await paidPayment();
    const botApi = createMockBotApi();
    const { logger } = await startReactor({ store, ledger, botApi });
    await charge("c2");
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 1, 5_000, "ExtraChargeRefunded");
    expect(botApi.calls).toEqual([
      { method: "refundStarPayment", params: { user_id: owner, telegram_payment_charge_id: "c2" } },
    ]);
    const refunded = await eventsOfType(store, "ExtraChargeRefunded");
    expect(refunded[0]?.data).toMatchObject({ paymentId, telegramPaymentChargeId: "c2", totalAmount: 10 });
    expect(refunded[0]?.metadata.causationId).toBe((await eventsOfType(store, "ExtraChargeReceived"))[0]?.id);
    expect(logger.find("Extra charge refunded")?.fields).toMatchObject({ paymentId, chargeId: "c2", userId: owner });
  });

  it("never refunds a charge recorded as a conflict: it is another payment's real charge", async () => {
    const { store, ledger, charge, deliver } = await paidPayment();
    const botApi = createMockBotApi();
    await startReactor({ store, ledger, botApi });
    const other = randomUUID();
    (
      await ledger.createPayment({ paymentId: other, userId: owner, packageId: "pkg_100", now: new Date() })
    )._unsafeUnwrap();
    await deliver(successfulPaymentUpdate(other, { chargeId: "c1" }));
    await deliver(successfulPaymentUpdate("no-such-payment", { chargeId: "c1" }));
    expect(await count(store, "ChargeConflictRecorded")).toBe(1);
    // A later extra charge marks the point the reactor has passed the conflict (it works in order).
    await charge("c2");
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 1, 5_000, "ExtraChargeRefunded");
    expect(botApi.calls).toEqual([
      { method: "refundStarPayment", params: { user_id: owner, telegram_payment_charge_id: "c2" } },
    ]);
  });

  it("refunds the charge of a payment whose amount did not match", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, ledgerSettings);
    const paymentId = randomUUID();
    (await ledger.createPayment({ paymentId, userId: owner, packageId: "pkg_100", now: new Date() }))._unsafeUnwrap();
    const botApi = createMockBotApi();
    await startReactor({ store, ledger, botApi });
    const webhook = createWebhookService({
      ledger,
      botApi,
      logger: capturingLogger(),
      settings: { preCheckoutAnswer: "reply" },
    });
    await webhook.handle({
      secretToken: undefined,
      body: successfulPaymentUpdate(paymentId, { chargeId: "m1", totalAmount: 25 }),
    });
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 1, 5_000, "ExtraChargeRefunded");
    expect((await eventsOfType(store, "ExtraChargeRefunded"))[0]?.data).toMatchObject({
      telegramPaymentChargeId: "m1",
      totalAmount: 25,
    });
  });

  it("on start, replays from 0 and refunds only the charges not yet refunded", async () => {
    const { store, ledger, paymentId, charge } = await paidPayment();
    await charge("c2");
    await charge("c3");
    (await ledger.recordExtraChargeRefunded(paymentId, "c2", new Date()))._unsafeUnwrap();
    const botApi = createMockBotApi();
    await startReactor({ store, ledger, botApi });
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 2, 5_000, "both refunds recorded");
    await sleep(50);
    expect(botApi.calls.map((c) => c.params.telegram_payment_charge_id)).toEqual(["c3"]);
  });

  it("refunds exactly once across a crash between Telegram's ok and the event", async () => {
    const server = new FakeBotApiServer();
    servers.push(server);
    await server.start();
    const botApi = createBotApi({
      mode: "REAL",
      token: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ",
      apiRoot: server.root,
    });
    const { store, ledger, charge } = await paidPayment();
    await charge("c2");

    // First instance: Telegram refunds, then the ledger write fails and the process "crashes".
    const failing = new FaultyEventStore(store);
    failing.appendsDown = true;
    const first = await startReactor({
      store: failing,
      ledger: new StarsLedger(failing, ledgerSettings),
      botApi,
      baseDelayMs: 60_000,
    });
    await waitUntil(
      () => first.logger.messages("warn").includes("Automatic refund will be retried"),
      5_000,
      "the failed write",
    );
    expect(server.callsOf("refundStarPayment")).toHaveLength(1);
    await first.reactor.stop();
    expect(await count(store, "ExtraChargeRefunded")).toBe(0);

    // Second instance: the events say c2 is still due; Telegram answers CHARGE_ALREADY_REFUNDED, which counts as done.
    const second = await startReactor({ store, ledger, botApi });
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 1, 5_000, "ExtraChargeRefunded");
    expect(second.logger.messages()).toContain("Telegram says the charge is already refunded; recording the refund");

    // A third start finds nothing to do.
    await second.reactor.stop();
    await startReactor({ store, ledger, botApi });
    await sleep(100);
    expect(server.callsOf("refundStarPayment").map((r) => r.body)).toEqual([
      { user_id: owner, telegram_payment_charge_id: "c2" },
      { user_id: owner, telegram_payment_charge_id: "c2" },
    ]);
    expect(server.refundedChargeIds).toEqual(new Set(["c2"]));
    expect(await count(store, "ExtraChargeRefunded")).toBe(1);
  });

  it("refunds an unmatched charge that has a payer", async () => {
    const { store, ledger, deliver } = await paidPayment();
    const botApi = createMockBotApi();
    const { logger } = await startReactor({ store, ledger, botApi });
    await deliver(successfulPaymentUpdate("not-a-payment", { chargeId: "u1", fromId: 777 }));
    await waitUntil(
      async () => (await count(store, "UnmatchedChargeRefunded")) === 1,
      5_000,
      "UnmatchedChargeRefunded",
    );
    expect(botApi.calls).toEqual([
      { method: "refundStarPayment", params: { user_id: 777, telegram_payment_charge_id: "u1" } },
    ]);
    expect(logger.messages()).toContain("Unmatched charge refunded");
  });

  it("leaves an unmatched charge without a payer for reconciliation, with an error log", async () => {
    const { store, ledger, deliver } = await paidPayment();
    await deliver(runbookSimulatedPayment("not-a-payment", "u-anonymous"));
    const botApi = createMockBotApi();
    const { logger, reactor } = await startReactor({ store, ledger, botApi });
    await waitUntil(() => logger.messages("error").length > 0, 5_000, "the error log");
    expect(
      logger.find("Unmatched charge without a user id cannot be refunded automatically; left for reconciliation")
        ?.fields,
    ).toMatchObject({
      chargeId: "u-anonymous",
    });
    await sleep(50);
    expect(botApi.calls).toHaveLength(0);
    expect(reactor.pendingCount()).toBe(0);
  });

  it("retries a refund after a transient API failure, with backoff", async () => {
    const { store, ledger, charge } = await paidPayment();
    const botApi = createMockBotApi();
    botApi.failNext("refundStarPayment", { errorCode: 500, description: "Internal Server Error" });
    await startReactor({ store, ledger, botApi });
    await charge("c2");
    await waitUntil(async () => (await count(store, "ExtraChargeRefunded")) === 1, 5_000, "ExtraChargeRefunded");
    expect(botApi.calls).toHaveLength(2);
  });

  it("gives up on a refund Telegram refuses for good, leaving it for reconciliation", async () => {
    const { store, ledger, charge } = await paidPayment();
    const botApi = createMockBotApi();
    botApi.failNext("refundStarPayment", { errorCode: 400, description: "Bad Request: CHARGE_NOT_FOUND" });
    const { logger, reactor } = await startReactor({ store, ledger, botApi });
    await charge("c2");
    await waitUntil(
      () => logger.messages("error").includes("Automatic refund failed; left for reconciliation"),
      5_000,
      "the give-up",
    );
    expect(reactor.pendingCount()).toBe(0);
    expect(botApi.calls).toHaveLength(1);
    expect(await count(store, "ExtraChargeRefunded")).toBe(0);
  });
});
