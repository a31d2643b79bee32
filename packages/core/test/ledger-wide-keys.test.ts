import { ok } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  adminRefundKey,
  CommandHandler,
  paymentDecider,
  type Decider,
  type Payment,
  type PaymentCommand,
  type PaymentEvent,
  InMemoryEventStore,
  StarsLedger,
  creditAccountDecider,
  creditsStream,
  paymentStream,
  unmatchedChargeStream,
  type EventStore,
} from "../src/index.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 24 * 3_600_000, requireSameUser: true };
const now = new Date("2026-11-26T10:00:00.000Z");
const p1 = "11111111-1111-4111-8111-111111111111";
const p2 = "22222222-2222-4222-8222-222222222222";

const adminRefund = { type: "RefundPayment" as const, data: { admin: "admin:1", now: now.toISOString() } };

const charge = (invoicePayload: string, telegramPaymentChargeId: string, totalAmount = 10) => ({
  invoicePayload,
  telegramPaymentChargeId,
  providerPaymentChargeId: "",
  currency: "XTR",
  totalAmount,
  telegramUserId: 7,
  now,
});

const typesOn = async (store: EventStore, stream: string): Promise<string[]> =>
  (await store.readStream(stream))._unsafeUnwrap().events.map((e) => e.type);

const twoPayments = async () => {
  const store = new InMemoryEventStore();
  const ledger = new StarsLedger(store, settings, { retryPause: () => Promise.resolve() });
  for (const paymentId of [p1, p2])
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
  return { store, ledger };
};

describe("a Telegram charge id is unique ledger-wide", () => {
  it("one charge delivered for two payments is credited on the first only; the second records the conflict", async () => {
    const { store, ledger } = await twoPayments();
    expect((await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap().kind).toBe("paid");
    const second = (await ledger.recordSuccessfulPayment(charge(p2, "X")))._unsafeUnwrap();
    expect(second).toMatchObject({ kind: "conflict", payment: { paymentId: p2, status: "PENDING" } });
    expect(await typesOn(store, paymentStream(p2))).toEqual(["PaymentCreated", "ChargeConflictRecorded"]);
    const [recorded] = (await store.readStream(paymentStream(p2)))._unsafeUnwrap().events.slice(1);
    expect(recorded?.data).toEqual({
      paymentId: p2,
      telegramPaymentChargeId: "X",
      providerPaymentChargeId: "",
      totalAmount: 10,
      currency: "XTR",
      telegramUserId: 7,
      receivedAt: now.toISOString(),
    });
    expect((await ledger.getPayment(p2))._unsafeUnwrap()).toMatchObject({ status: "PENDING", paidChargeId: undefined });
  });

  it("the conflicting charge delivered again writes nothing and is still a conflict", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment(charge(p2, "X")))._unsafeUnwrap();
    const head = (await store.headPosition())._unsafeUnwrap();
    const again = (await ledger.recordSuccessfulPayment(charge(p2, "X")))._unsafeUnwrap();
    expect(again).toMatchObject({ kind: "conflict", position: undefined });
    expect((await store.headPosition())._unsafeUnwrap()).toBe(head);
  });

  it("the second payment can still be paid with its own charge", async () => {
    const { ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment(charge(p2, "X")))._unsafeUnwrap();
    expect((await ledger.recordSuccessfulPayment(charge(p2, "Y")))._unsafeUnwrap().kind).toBe("paid");
  });

  it("a claimed charge of the wrong amount neither fails the other payment nor is kept aside to refund", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap();
    expect((await ledger.recordSuccessfulPayment(charge(p2, "X", 11)))._unsafeUnwrap().kind).toBe("conflict");
    expect(await typesOn(store, paymentStream(p2))).toEqual(["PaymentCreated", "ChargeConflictRecorded"]);
  });

  it("a claimed charge on an already paid payment is a conflict, not an extra charge to refund", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment(charge(p2, "Y")))._unsafeUnwrap();
    expect((await ledger.recordSuccessfulPayment(charge(p2, "X")))._unsafeUnwrap().kind).toBe("conflict");
    expect(await typesOn(store, paymentStream(p2))).toEqual([
      "PaymentCreated",
      "PaymentPaid",
      "ChargeConflictRecorded",
    ]);
  });

  it("a payload that matches no payment, with a charge a payment recorded, records nothing (no refund of it)", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap();
    const head = (await store.headPosition())._unsafeUnwrap();
    for (const payload of ["not-a-payment", "33333333-3333-4333-8333-333333333333"]) {
      const outcome = (await ledger.recordSuccessfulPayment(charge(payload, "X")))._unsafeUnwrap();
      expect(outcome).toEqual({ kind: "conflict", payment: undefined, position: undefined });
    }
    expect(await typesOn(store, unmatchedChargeStream("X"))).toEqual([]);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(head);
  });

  it("a charge recorded as unmatched is never credited on a payment afterwards", async () => {
    const { store, ledger } = await twoPayments();
    expect((await ledger.recordSuccessfulPayment(charge("junk", "X")))._unsafeUnwrap().kind).toBe("unmatched");
    expect((await ledger.recordSuccessfulPayment(charge(p1, "X")))._unsafeUnwrap().kind).toBe("conflict");
    expect(await typesOn(store, paymentStream(p1))).toEqual(["PaymentCreated", "ChargeConflictRecorded"]);
  });

  it("one charge raced onto two payments is credited exactly once", async () => {
    const { store, ledger } = await twoPayments();
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => ledger.recordSuccessfulPayment(charge(i % 2 === 0 ? p1 : p2, "X"))),
    );
    const kinds = outcomes.map((o) => o._unsafeUnwrap().kind);
    expect(kinds.filter((k) => k === "paid")).toHaveLength(1);
    expect(kinds.filter((k) => k !== "paid" && k !== "duplicate" && k !== "conflict")).toEqual([]);
    const paid = [...(await typesOn(store, paymentStream(p1))), ...(await typesOn(store, paymentStream(p2)))];
    expect(paid.filter((t) => t === "PaymentPaid")).toHaveLength(1);
    expect(paid.filter((t) => t === "ChargeConflictRecorded")).toHaveLength(1);
  });

  it("the handler names the key another stream holds", async () => {
    const { store } = await twoPayments();
    const handler = new CommandHandler(store);
    const adjust = (userId: number) => ({
      type: "AdjustCredits" as const,
      data: { userId, delta: 5, reason: "r", admin: "a", idempotencyKey: "k1", now: now.toISOString() },
    });
    (await handler.handle(creditAccountDecider, creditsStream(1), adjust(1)))._unsafeUnwrap();
    const refused = await handler.handle(creditAccountDecider, creditsStream(2), adjust(2));
    expect(refused._unsafeUnwrapErr()).toMatchObject({
      type: "KeyAlreadyClaimed",
      key: "adjust:k1",
      stream: creditsStream(2),
    });
    expect(await typesOn(store, creditsStream(2))).toEqual([]);
  });
});

describe("an admin adjustment with an Idempotency-Key takes effect once", () => {
  const adjustment = { userId: 7, delta: 100, reason: "ticket 42", admin: "admin:1", now };

  it("the same adjustment again answers as the first time and writes nothing", async () => {
    const { store, ledger } = await twoPayments();
    const first = (await ledger.adjustCredits({ ...adjustment, idempotencyKey: "ticket-42" }))._unsafeUnwrap();
    const again = (
      await ledger.adjustCredits({
        ...adjustment,
        reason: " ticket 42 ",
        admin: "admin:2",
        idempotencyKey: "ticket-42",
      })
    )._unsafeUnwrap();
    expect(first).toMatchObject({ adjustmentsTotal: 100, replayed: false });
    expect(again).toEqual({ position: first.position, adjustmentsTotal: 100, replayed: true });
    expect(await typesOn(store, creditsStream(7))).toEqual(["CreditsAdjusted"]);
  });

  it("the key with another delta, reason or user is an IdempotencyConflict and writes nothing", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.adjustCredits({ ...adjustment, idempotencyKey: "ticket-42" }))._unsafeUnwrap();
    const head = (await store.headPosition())._unsafeUnwrap();
    for (const other of [{ delta: 101 }, { reason: "ticket 43" }, { userId: 8 }]) {
      const refused = await ledger.adjustCredits({ ...adjustment, ...other, idempotencyKey: "ticket-42" });
      expect(refused._unsafeUnwrapErr(), JSON.stringify(other)).toEqual({
        type: "IdempotencyConflict",
        message: "This Idempotency-Key was already used for a different adjustment",
      });
    }
    expect((await store.headPosition())._unsafeUnwrap()).toBe(head);
  });

  it("the key's adjustment raced 20 times is recorded once", async () => {
    const { store, ledger } = await twoPayments();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ledger.adjustCredits({ ...adjustment, idempotencyKey: "ticket-42" })),
    );
    expect(results.filter((r) => r.isErr())).toEqual([]);
    expect(results.filter((r) => !r._unsafeUnwrap().replayed)).toHaveLength(1);
    expect(await typesOn(store, creditsStream(7))).toEqual(["CreditsAdjusted"]);
  });

  it("without a key, the same adjustment twice is two adjustments, as before", async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.adjustCredits(adjustment))._unsafeUnwrap();
    expect((await ledger.adjustCredits(adjustment))._unsafeUnwrap().adjustmentsTotal).toBe(200);
    expect(await typesOn(store, creditsStream(7))).toEqual(["CreditsAdjusted", "CreditsAdjusted"]);
  });
});

describe("an admin refund with an Idempotency-Key takes effect once", () => {
  const paidTwice = async () => {
    const { store, ledger } = await twoPayments();
    (await ledger.recordSuccessfulPayment(charge(p1, "c1")))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment(charge(p2, "c2")))._unsafeUnwrap();
    return { store, ledger };
  };

  it("the same refund asked again is recognised before Telegram is called, and writes nothing", async () => {
    const { store, ledger } = await paidTwice();
    expect((await ledger.checkRefundable(p1, now, { idempotencyKey: "t-1" }))._unsafeUnwrap().kind).toBe("refundable");
    const first = (await ledger.refundPayment(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    const check = (await ledger.checkRefundable(p1, now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(check).toMatchObject({ kind: "alreadyRefunded", payment: { status: "REFUNDED" }, position: first.position });
    const again = (await ledger.refundPayment(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(again).toMatchObject({ payment: { status: "REFUNDED" }, position: undefined });
    expect(await typesOn(store, paymentStream(p1))).toEqual([
      "PaymentCreated",
      "PaymentPaid",
      "RefundRequested",
      "PaymentRefunded",
    ]);
  });

  it("the key used to refund another payment is an IdempotencyConflict; that payment stays paid", async () => {
    const { store, ledger } = await paidTwice();
    (await ledger.refundPayment(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    const refused = await ledger.refundPayment(p2, "admin:1", now, { idempotencyKey: "t-1" });
    expect(refused._unsafeUnwrapErr()).toEqual({
      type: "IdempotencyConflict",
      message: "This Idempotency-Key was already used to refund another payment",
    });
    expect(await typesOn(store, paymentStream(p2))).toEqual(["PaymentCreated", "PaymentPaid"]);
  });

  it("the request claims the key before Telegram is asked: the key on another payment is refused, nothing written", async () => {
    const { store, ledger } = await paidTwice();
    const first = (await ledger.requestRefund(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(first).toMatchObject({ kind: "requested", payment: { status: "PAID", paidChargeId: "c1" } });
    expect(first.position).toBeDefined();
    const refused = await ledger.requestRefund(p2, "admin:1", now, { idempotencyKey: "t-1" });
    expect(refused._unsafeUnwrapErr()).toEqual({
      type: "IdempotencyConflict",
      message: "This Idempotency-Key was already used to refund another payment",
    });
    expect(await typesOn(store, paymentStream(p2))).toEqual(["PaymentCreated", "PaymentPaid"]);
    // Nor can a refund recorded on the other payment take the key meanwhile.
    expect((await ledger.refundPayment(p2, "admin:2", now, { idempotencyKey: "t-1" }))._unsafeUnwrapErr().type).toBe(
      "IdempotencyConflict",
    );
  });

  it("the open request asked again is still `requested`; once refunded it is `alreadyRefunded` at the refund's position", async () => {
    const { store, ledger } = await paidTwice();
    (await ledger.requestRefund(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    const again = (await ledger.requestRefund(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(again).toMatchObject({ kind: "requested", position: undefined });
    const refund = (await ledger.refundPayment(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    const replay = (await ledger.requestRefund(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(replay).toMatchObject({
      kind: "alreadyRefunded",
      payment: { status: "REFUNDED" },
      position: refund.position,
    });
    expect(await typesOn(store, paymentStream(p1))).toEqual([
      "PaymentCreated",
      "PaymentPaid",
      "RefundRequested",
      "PaymentRefunded",
    ]);
  });

  it("a key held by a refund recorded before requests existed stays taken", async () => {
    const { store, ledger } = await paidTwice();
    const legacyRefund = {
      type: "PaymentRefunded" as const,
      data: {
        paymentId: p1,
        userId: 7,
        telegramPaymentChargeId: "c1",
        starsAmount: 10,
        credits: 100,
        refundedBy: "admin" as const,
        admin: "admin:1",
        idempotencyKey: "t-1",
        refundedAt: now.toISOString(),
      },
    };
    // As the decider of the previous release wrote it: the refund itself claimed the key.
    const previousRelease: Decider<PaymentCommand, PaymentEvent, Payment, never> = {
      ...paymentDecider,
      decide: () => ok([legacyRefund]),
      naturalKeyOf: () => adminRefundKey("t-1"),
    };
    (await new CommandHandler(store).handle(previousRelease, paymentStream(p1), adminRefund))._unsafeUnwrap();
    expect((await ledger.requestRefund(p2, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrapErr().type).toBe(
      "IdempotencyConflict",
    );
    const replay = (await ledger.requestRefund(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    expect(replay.kind).toBe("alreadyRefunded");
  });

  it("a refunded payment asked again with another key, or none, is still PaymentAlreadyRefunded", async () => {
    const { ledger } = await paidTwice();
    (await ledger.refundPayment(p1, "admin:1", now, { idempotencyKey: "t-1" }))._unsafeUnwrap();
    for (const request of [{ idempotencyKey: "t-2" }, {}]) {
      expect((await ledger.checkRefundable(p1, now, request))._unsafeUnwrapErr().type).toBe("PaymentAlreadyRefunded");
      expect((await ledger.requestRefund(p1, "admin:1", now, request))._unsafeUnwrapErr().type).toBe(
        "PaymentAlreadyRefunded",
      );
      expect((await ledger.refundPayment(p1, "admin:1", now, request))._unsafeUnwrapErr().type).toBe(
        "PaymentAlreadyRefunded",
      );
    }
  });
});
