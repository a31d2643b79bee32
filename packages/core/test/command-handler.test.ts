import { err, type Result } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  CommandHandler,
  InMemoryEventStore,
  StarsLedger,
  eventHash,
  genesisHash,
  maxAppendRetries,
  paymentDecider,
  paymentStream,
  unmatchedChargeStream,
  type AppendResult,
  type EventStore,
  type StoreError,
} from "../src/index.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 24 * 3_600_000, requireSameUser: true };
const paymentId = "3b2a1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d";
const now = new Date("2026-11-26T10:00:00.000Z");
const charge = (telegramPaymentChargeId: string, extra: { totalAmount?: number; telegramUserId?: number } = {}) => ({
  invoicePayload: paymentId,
  telegramPaymentChargeId,
  providerPaymentChargeId: "",
  currency: "XTR",
  totalAmount: extra.totalAmount ?? 10,
  telegramUserId: extra.telegramUserId ?? 7,
  now,
});

/** Wraps a store; each call may be intercepted. */
const intercepting = (
  inner: EventStore,
  append?: (...args: Parameters<EventStore["appendToStream"]>) => Promise<Result<AppendResult, StoreError>> | undefined,
): EventStore => ({
  readStream: (s, o) => inner.readStream(s, o),
  readEventById: (id) => inner.readEventById(id),
  appendToStream: (...args) => append?.(...args) ?? inner.appendToStream(...args),
  readAll: (o) => inner.readAll(o),
  subscribe: (o, h) => inner.subscribe(o, h),
  headPosition: () => inner.headPosition(),
  close: () => inner.close(),
});

describe("the command handler", () => {
  it("writes a per-stream hash chain into every event's metadata", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
    (await ledger.recordInvoiceIssued(paymentId, "https://t.me/$x", now))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment(charge("c1")))._unsafeUnwrap();
    const events = (await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events;
    expect(events.map((e) => e.type)).toEqual(["PaymentCreated", "InvoiceIssued", "PaymentPaid"]);
    let prevHash = genesisHash;
    for (const e of events) {
      expect(e.metadata.prevHash).toBe(prevHash);
      expect(e.metadata.hash).toBe(
        eventHash({ stream: e.stream, revision: e.revision, type: e.type, data: e.data, prevHash }),
      );
      expect(e.metadata.schemaVersion).toBe(1);
      prevHash = e.metadata.hash ?? "";
    }
  });

  it("50 concurrent deliveries of one charge credit once", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => ledger.recordSuccessfulPayment(charge("c1"))));
    const kinds = outcomes.map((o) => o._unsafeUnwrap().kind);
    expect(kinds.filter((k) => k === "paid")).toHaveLength(1);
    expect(kinds.filter((k) => k === "duplicate")).toHaveLength(49);
    const events = (await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events;
    expect(events.filter((e) => e.type === "PaymentPaid")).toHaveLength(1);
  });

  it("concurrent distinct charges: one credited, the rest kept aside to refund, no revision lost", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ledger.recordSuccessfulPayment(charge(`c${i}`))),
    );
    expect(outcomes.filter((o) => o._unsafeUnwrap().kind === "paid")).toHaveLength(1);
    expect(outcomes.filter((o) => o._unsafeUnwrap().kind === "uncredited")).toHaveLength(19);
    const events = (await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events;
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
  });

  it("gives up after a bounded number of lost races", async () => {
    const store = new InMemoryEventStore();
    let attempts = 0;
    const alwaysLosing = intercepting(store, (stream, _events, expected) => {
      attempts++;
      return Promise.resolve(err({ type: "ConcurrencyError", stream, expected }));
    });
    const handler = new CommandHandler(alwaysLosing, { retryPause: () => Promise.resolve() });
    const result = await handler.handle(paymentDecider, paymentStream(paymentId), {
      type: "CreatePayment",
      data: {
        paymentId,
        userId: 7,
        packageId: "pkg_100",
        starsAmount: 10,
        credits: 100,
        expiresAt: "2026-11-27T10:00:00.000Z",
        now: now.toISOString(),
      },
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ type: "RetriesExhausted" });
    expect(attempts).toBe(maxAppendRetries + 1);
  });

  it("a store outage is a StoreUnavailable error and nothing is written", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
    const down = new StarsLedger(
      intercepting(store, () => Promise.resolve(err({ type: "StoreUnavailable", message: "database is down" }))),
      settings,
    );
    expect((await down.recordSuccessfulPayment(charge("c1")))._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
    });
    expect((await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events).toHaveLength(1);
  });

  it("a charge id the store cannot hold is refused once, as a final InvalidEventData, and nothing is written", async () => {
    const store = new InMemoryEventStore();
    (
      await new StarsLedger(store, settings).createPayment({ paymentId, userId: 7, starsAmount: 10, now })
    )._unsafeUnwrap();
    let appends = 0;
    const counting = intercepting(store, () => {
      appends++;
      return undefined;
    });
    const ledger = new StarsLedger(counting, settings, { retryPause: () => Promise.resolve() });
    for (const chargeId of ["c\ud800", "c\u0000"]) {
      appends = 0;
      expect((await ledger.recordSuccessfulPayment(charge(chargeId)))._unsafeUnwrapErr()).toMatchObject({
        type: "InvalidEventData",
        field: "events[0].data.telegramPaymentChargeId",
      });
      expect(appends, "refused once, never retried").toBe(1);
      // Unmatched: the charge id is in the stream name. The stream is new to the handler, so it is taken to be new
      // and its first append is refused, whole, before anything is written.
      appends = 0;
      const unmatched = await ledger.recordSuccessfulPayment({ ...charge(chargeId), invoicePayload: "junk" });
      expect(unmatched._unsafeUnwrapErr()).toMatchObject({ type: "InvalidEventData", field: "stream" });
      expect(appends, "refused once, never retried").toBe(1);
    }
    expect((await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events).toHaveLength(1);
    expect((await store.headPosition())._unsafeUnwrap()).toBe(1n);
  });

  it("the same charge gives the same event ids, so a retried append is recognised by the store", async () => {
    const first = new InMemoryEventStore();
    const second = new InMemoryEventStore();
    for (const store of [first, second]) {
      const ledger = new StarsLedger(store, settings);
      await store.appendToStream(
        paymentStream(paymentId),
        [(await first.readStream(paymentStream(paymentId)))._unsafeUnwrap().events[0] ?? (await seed(ledger))].filter(
          (e) => e !== null,
        ),
        "any",
      );
      (await ledger.recordSuccessfulPayment(charge("c1")))._unsafeUnwrap();
    }
    const ids = async (store: InMemoryEventStore) =>
      (await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events.map((e) => e.id);
    expect((await ids(first))[1]).toBe((await ids(second))[1]);
  });

  it("refuses an event read back that does not belong to the stream's decider", async () => {
    const store = new InMemoryEventStore();
    (
      await store.appendToStream(
        paymentStream(paymentId),
        [
          {
            id: crypto.randomUUID(),
            type: "CreditsAdjusted",
            data: { userId: 1, delta: 1, reason: "r", admin: "a", adjustedAt: now.toISOString() },
            metadata: { schemaVersion: 1 },
          },
        ],
        "no_stream",
      )
    )._unsafeUnwrap();
    const loaded = await new CommandHandler(store).load(paymentDecider, paymentStream(paymentId));
    expect(loaded._unsafeUnwrapErr()).toMatchObject({ type: "EventParseError" });
  });
});

/** Creates the payment through the ledger and returns null (the event is already in the store). */
const seed = async (ledger: StarsLedger): Promise<null> => {
  (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
  return null;
};

describe("the ledger's routing rules", () => {
  it("a charge whose payload names no payment goes to its own unmatched-charge stream, once", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    for (const payload of ["not-a-uuid", paymentId]) {
      const outcome = await ledger.recordSuccessfulPayment({ ...charge(`u-${payload}`), invoicePayload: payload });
      expect(outcome._unsafeUnwrap().kind).toBe("unmatched");
      await ledger.recordSuccessfulPayment({ ...charge(`u-${payload}`), invoicePayload: payload });
      const events = (await store.readStream(`unmatched-charge-u-${payload}`))._unsafeUnwrap().events;
      expect(events.map((e) => e.type)).toEqual(["UnmatchedChargeReceived"]);
    }
    expect((await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events).toEqual([]);
  });

  it("a charge found with no payment, whose payment takes it meanwhile, is answered a duplicate, not a conflict", async () => {
    const store = new InMemoryEventStore();
    const other = new StarsLedger(store, settings);
    let raced = false;
    // Between finding the payment missing and recording the charge as unmatched, another instance creates the
    // payment and credits this very charge on it.
    const racing = intercepting(store, (stream, events, expected) => {
      if (raced || !stream.startsWith("unmatched-charge-")) return undefined;
      raced = true;
      return (async () => {
        (await other.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
        expect((await other.recordSuccessfulPayment(charge("c1")))._unsafeUnwrap().kind).toBe("paid");
        return store.appendToStream(stream, events, expected);
      })();
    });
    const outcome = (await new StarsLedger(racing, settings).recordSuccessfulPayment(charge("c1")))._unsafeUnwrap();
    expect(raced).toBe(true);
    expect(outcome).toMatchObject({ kind: "duplicate", payment: { status: "PAID", paidChargeId: "c1" } });
    expect((await store.readStream(unmatchedChargeStream("c1")))._unsafeUnwrap().events).toEqual([]);
  });

  it("Telegram's refund of an unmatched charge is recorded on its stream", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.recordSuccessfulPayment({ ...charge("u1"), invoicePayload: "junk" }))._unsafeUnwrap();
    (
      await ledger.recordRefundedPayment({ invoicePayload: "junk", telegramPaymentChargeId: "u1", now })
    )._unsafeUnwrap();
    const events = (await store.readStream("unmatched-charge-u1"))._unsafeUnwrap().events;
    expect(events.map((e) => e.type)).toEqual(["UnmatchedChargeReceived", "UnmatchedChargeRefunded"]);
  });

  it("a Stars amount with no package is refused with the valid amounts listed", async () => {
    const ledger = new StarsLedger(new InMemoryEventStore(), settings);
    const refused = await ledger.createPayment({ paymentId, userId: 7, starsAmount: 11, now });
    expect(refused._unsafeUnwrapErr()).toEqual({
      type: "UnknownPackage",
      message: "No package costs 11 Stars. Valid starsAmount values: 10, 25, 50, 100",
    });
    const unknown = await ledger.createPayment({ paymentId, userId: 7, packageId: "pkg_7", now });
    expect(unknown._unsafeUnwrapErr()).toMatchObject({
      type: "UnknownPackage",
      message: expect.stringContaining("pkg_100, pkg_250, pkg_500, pkg_1000") as unknown,
    });
  });

  it("a payment's expiry is its creation time plus the configured TTL, and credits follow the rate", async () => {
    const ledger = new StarsLedger(new InMemoryEventStore(), {
      ...settings,
      starsToCreditsRate: 3,
      paymentTtlMs: 60_000,
    });
    const created = (await ledger.createPayment({ paymentId, userId: 7, packageId: "pkg_250", now }))._unsafeUnwrap();
    expect(created.payment).toMatchObject({ starsAmount: 25, credits: 75, expiresAt: "2026-11-26T10:01:00.000Z" });
  });

  it("checkRefundable refuses an unpaid payment without writing", async () => {
    const store = new InMemoryEventStore();
    const ledger = new StarsLedger(store, settings);
    (await ledger.createPayment({ paymentId, userId: 7, starsAmount: 10, now }))._unsafeUnwrap();
    expect((await ledger.checkRefundable(paymentId, now))._unsafeUnwrapErr()).toMatchObject({ type: "PaymentNotPaid" });
    (await ledger.recordSuccessfulPayment(charge("c1")))._unsafeUnwrap();
    expect((await ledger.checkRefundable(paymentId, now))._unsafeUnwrap()).toMatchObject({
      kind: "refundable",
      payment: { status: "PAID" },
    });
    expect((await store.readStream(paymentStream(paymentId)))._unsafeUnwrap().events).toHaveLength(2);
  });
});
