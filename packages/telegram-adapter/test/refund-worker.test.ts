import { randomUUID } from "node:crypto";
import { InMemoryEventStore, StarsLedger, type EventStore, type LedgerSettings } from "@starledger/core";
import { eventsOfType, waitUntil } from "@starledger/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createMockBotApi,
  createRefundReactor,
  createWebhookService,
  refundRequestGraceMs,
  type BotApi,
  type RefundReactor,
  type RefundReactorOptions,
} from "../src/index.js";
import { capturingLogger } from "./support/capturing-logger.js";
import { successfulPaymentUpdate } from "./support/fixtures.js";

const settings: LedgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 24 * 60 * 60_000, requireSameUser: false };
const owner = 512345678;
const payer = 777;
/** Far from the machine's clock, so a reactor that read Date.now() instead of its clock would be seen. */
const startMs = Date.parse("2100-01-01T00:00:00.000Z");

/** A clock the test moves by hand, injected into the ledger and the reactor. */
class ManualClock {
  ms = startMs;
  readonly now = (): Date => new Date(this.ms);
}

const running: RefundReactor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((reactor) => reactor.stop()));
  vi.useRealTimers();
});

/** A paid payment on an in-memory store; `charge` delivers one more successful_payment for it through the webhook. */
const paidPayment = async (clock: ManualClock) => {
  const store = new InMemoryEventStore();
  const ledger = new StarsLedger(store, settings, { retryPause: () => Promise.resolve() });
  const webhook = createWebhookService({
    ledger,
    botApi: createMockBotApi(),
    logger: capturingLogger(),
    settings: { preCheckoutAnswer: "reply" },
    now: clock.now,
  });
  const paymentId = randomUUID();
  (await ledger.createPayment({ paymentId, userId: owner, packageId: "pkg_100", now: clock.now() }))._unsafeUnwrap();
  const charge = async (chargeId: string) =>
    (
      await webhook.handle({
        secretToken: undefined,
        body: successfulPaymentUpdate(paymentId, { chargeId, fromId: payer, updateId: running.length }),
      })
    )._unsafeUnwrap();
  await charge("c1");
  return { store, ledger, paymentId, charge };
};

const startReactor = async (
  options: {
    store: EventStore;
    ledger: StarsLedger;
    botApi: BotApi;
    clock: ManualClock;
  } & Partial<RefundReactorOptions>,
) => {
  const logger = capturingLogger();
  const reactor = createRefundReactor({ logger, now: options.clock.now, ...options });
  running.push(reactor);
  await reactor.start();
  return { reactor, logger };
};

const refundCalls = (botApi: ReturnType<typeof createMockBotApi>) =>
  botApi.calls.filter((c) => c.method === "refundStarPayment").map((c) => c.params.telegram_payment_charge_id);

describe("the refund reactor completes an admin's request left without its refund", () => {
  it("a crash after Telegram refunded: the reactor records PaymentRefunded as the request (CHARGE_ALREADY_REFUNDED counts as done)", async () => {
    const clock = new ManualClock();
    const { store, ledger, paymentId } = await paidPayment(clock);
    const botApi = createMockBotApi();
    // The admin's request: recorded, and Telegram refunded; then the process stopped before PaymentRefunded.
    const request = await ledger.requestRefund(paymentId, "user:1", clock.now(), { idempotencyKey: "ticket-42" });
    expect(request._unsafeUnwrap().kind).toBe("requested");
    (await botApi.refundStarPayment({ userId: payer, telegramPaymentChargeId: "c1" }))._unsafeUnwrap();

    clock.ms += refundRequestGraceMs;
    const { logger } = await startReactor({ store, ledger, botApi, clock });
    await waitUntil(async () => (await eventsOfType(store, "PaymentRefunded")).length === 1, 5_000, "PaymentRefunded");

    const [refunded] = await eventsOfType(store, "PaymentRefunded");
    expect(refunded?.data).toMatchObject({
      paymentId,
      telegramPaymentChargeId: "c1",
      refundedBy: "admin",
      admin: "user:1",
      idempotencyKey: "ticket-42",
    });
    expect(refunded?.metadata.causationId).toBe((await eventsOfType(store, "RefundRequested"))[0]?.id);
    expect(refundCalls(botApi)).toEqual(["c1", "c1"]);
    expect(logger.messages()).toEqual([
      "Telegram says the charge is already refunded; recording the refund",
      "Requested refund completed",
    ]);
    expect(logger.find("Requested refund completed")?.fields).toMatchObject({
      paymentId,
      chargeId: "c1",
      userId: payer,
      admin: "user:1",
      idempotencyKey: "ticket-42",
    });
    // The admin asking again under the key is answered as refunded, without Telegram.
    const again = await ledger.requestRefund(paymentId, "user:1", clock.now(), { idempotencyKey: "ticket-42" });
    expect(again._unsafeUnwrap().kind).toBe("alreadyRefunded");
  });

  it("during its grace the request is left to the admin's own call; once the injected clock passes it, it is completed", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const clock = new ManualClock();
    const { store, ledger, paymentId } = await paidPayment(clock);
    (await ledger.requestRefund(paymentId, "user:1", clock.now()))._unsafeUnwrap();
    const botApi = createMockBotApi();
    const { reactor } = await startReactor({ store, ledger, botApi, clock });

    // Fake time runs, the injected clock stands still: the request is not due.
    await vi.advanceTimersByTimeAsync(3 * refundRequestGraceMs);
    expect(refundCalls(botApi)).toEqual([]);
    expect(reactor.pendingCount()).toBe(1);

    clock.ms += refundRequestGraceMs;
    await vi.advanceTimersByTimeAsync(60_000); // the worker looks at least once a minute
    expect(refundCalls(botApi)).toEqual(["c1"]);
    expect(await eventsOfType(store, "PaymentRefunded")).toHaveLength(1);
    expect(reactor.pendingCount()).toBe(0);
  });
});

describe("the refund worker's clock, queue and stop", () => {
  it("a transient failure is retried once its backoff has passed on the injected clock, not before", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const clock = new ManualClock();
    const { store, ledger, charge } = await paidPayment(clock);
    const botApi = createMockBotApi();
    botApi.failNext("refundStarPayment", { errorCode: 500, description: "Internal Server Error" });
    const { logger } = await startReactor({ store, ledger, botApi, clock, retry: { baseDelayMs: 1_000 } });
    await charge("c2");
    await vi.advanceTimersByTimeAsync(0);
    expect(refundCalls(botApi)).toEqual(["c2"]);
    expect(logger.find("Automatic refund will be retried")?.fields).toMatchObject({ chargeId: "c2", delayMs: 1_000 });

    const advance = async (ms: number) => {
      clock.ms += ms;
      await vi.advanceTimersByTimeAsync(ms);
    };
    await advance(999);
    expect(refundCalls(botApi)).toEqual(["c2"]);
    await advance(1);
    expect(refundCalls(botApi)).toEqual(["c2", "c2"]);
    expect(await eventsOfType(store, "ExtraChargeRefunded")).toHaveLength(1);
  });

  it("with more refunds due than the queue holds, each turn takes the earliest; the rest wait for the next turn and none is lost", async () => {
    const clock = new ManualClock();
    const { store, ledger, charge } = await paidPayment(clock);
    const charges = ["c2", "c3", "c4", "c5", "c6"];
    for (const chargeId of charges) await charge(chargeId);
    const botApi = createMockBotApi();
    const { logger, reactor } = await startReactor({ store, ledger, botApi, clock, queueMax: 2 });
    await waitUntil(async () => (await eventsOfType(store, "ExtraChargeRefunded")).length === 5, 5_000, "5 refunds");

    expect(refundCalls(botApi)).toEqual(charges);
    expect(logger.entries.filter((e) => e.message === "Refund queue full; the rest waits for the next turn")).toEqual([
      {
        level: "warn",
        fields: { queued: 2, waiting: 3 },
        message: "Refund queue full; the rest waits for the next turn",
      },
      {
        level: "warn",
        fields: { queued: 2, waiting: 1 },
        message: "Refund queue full; the rest waits for the next turn",
      },
    ]);
    expect(logger.messages("info").filter((m) => m === "Extra charge refunded")).toHaveLength(5);
    expect(reactor.pendingCount()).toBe(0);
  });

  it("stop() while the worker waits out a backoff resolves at once, while fake time stands still", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const clock = new ManualClock();
    const { store, ledger, charge } = await paidPayment(clock);
    const botApi = createMockBotApi();
    botApi.failNext("refundStarPayment", { errorCode: 500, description: "Internal Server Error" });
    const { reactor } = await startReactor({ store, ledger, botApi, clock, retry: { baseDelayMs: 60_000 } });
    await charge("c2");
    await vi.advanceTimersByTimeAsync(0);
    expect(refundCalls(botApi)).toEqual(["c2"]);

    let stopped = false;
    const stopping = reactor.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    await stopping;
    clock.ms += 60_000;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refundCalls(botApi)).toEqual(["c2"]);
  });
});
