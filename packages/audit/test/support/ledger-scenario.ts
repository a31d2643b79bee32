import {
  currentSchemaVersion,
  InMemoryEventStore,
  StarsLedger,
  type EventStore,
  type LedgerEventType,
  type NewEvent,
  type RecordedEvent,
} from "@starledger/core";

export const ledgerSettings = { starsToCreditsRate: 10, paymentTtlMs: 60 * 60_000, requireSameUser: true } as const;
export const scenarioNow = new Date("2025-11-26T10:00:00.000Z");

export const newLedger = (store: EventStore = new InMemoryEventStore()): StarsLedger =>
  new StarsLedger(store, ledgerSettings, { retryPause: () => Promise.resolve() });

export const paymentIds = {
  refunded: "11111111-1111-4111-8111-111111111111",
  failed: "22222222-2222-4222-8222-222222222222",
  paid: "33333333-3333-4333-8333-333333333333",
} as const;

/** Drives the ledger through every use case, so the store holds every event type at least once. */
export const recordEveryEventType = async (ledger: StarsLedger): Promise<void> => {
  const now = scenarioNow;
  const p1 = paymentIds.refunded;
  (await ledger.createPayment({ paymentId: p1, userId: 1001, packageId: "pkg_100", now }))._unsafeUnwrap();
  (await ledger.recordInvoiceIssued(p1, "https://t.me/$invoice-1", now))._unsafeUnwrap();
  (
    await ledger.answerPreCheckout({
      invoicePayload: p1,
      queryId: "q-1",
      telegramUserId: 1001,
      currency: "XTR",
      totalAmount: 10,
      now,
    })
  )._unsafeUnwrap();
  const charge = {
    invoicePayload: p1,
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: 10,
    telegramUserId: 1001,
    now,
  };
  (await ledger.recordSuccessfulPayment({ ...charge, telegramPaymentChargeId: "ch-paid-1" }))._unsafeUnwrap();
  (await ledger.recordSuccessfulPayment({ ...charge, telegramPaymentChargeId: "ch-extra-1" }))._unsafeUnwrap();
  (await ledger.recordExtraChargeRefunded(p1, "ch-extra-1", now))._unsafeUnwrap();
  // The admin refund's two steps: the request before Telegram is asked, the refund after.
  (await ledger.requestRefund(p1, "ops", now))._unsafeUnwrap();
  (await ledger.refundPayment(p1, "ops", now))._unsafeUnwrap();

  const p2 = paymentIds.failed;
  (await ledger.createPayment({ paymentId: p2, userId: 1002, packageId: "pkg_250", now }))._unsafeUnwrap();
  (await ledger.recordInvoiceCreationFailed(p2, "Telegram said no", now))._unsafeUnwrap();

  (await ledger.adjustCredits({ userId: 1001, delta: 50, reason: "goodwill", admin: "ops", now }))._unsafeUnwrap();

  const unmatched = {
    invoicePayload: "not-a-payment",
    telegramPaymentChargeId: "ch-unmatched-1",
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: 25,
    telegramUserId: 1003,
    now,
  };
  (await ledger.recordSuccessfulPayment(unmatched))._unsafeUnwrap();
  (await ledger.recordUnmatchedChargeRefunded("ch-unmatched-1", now))._unsafeUnwrap();

  const p3 = paymentIds.paid;
  (await ledger.createPayment({ paymentId: p3, userId: 1004, packageId: "pkg_500", now }))._unsafeUnwrap();
  // p1's charge delivered for p3 too: recorded as a conflict on p3, never credited there.
  (
    await ledger.recordSuccessfulPayment({ ...charge, invoicePayload: p3, telegramPaymentChargeId: "ch-paid-1" })
  )._unsafeUnwrap();
  (
    await ledger.recordSuccessfulPayment({
      invoicePayload: p3,
      telegramPaymentChargeId: "ch-paid-3",
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 50,
      telegramUserId: 1004,
      now,
    })
  )._unsafeUnwrap();
};

/** Every ledger event type core knows, so a new one the scenario does not record fails the coverage test. */
export const everyEventType = Object.keys(currentSchemaVersion) as LedgerEventType[];

export const readAllEvents = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
};

/**
 * Copies a store event by event, in global order, through `change`: return the event (edited or not) to
 * keep it, undefined to drop it. Positions and revisions are assigned afresh by the copy.
 */
export const copyStore = async (
  source: EventStore,
  change: (event: RecordedEvent) => NewEvent | undefined = (event) => event,
): Promise<InMemoryEventStore> => {
  const copy = new InMemoryEventStore();
  for (const event of await readAllEvents(source)) {
    const kept = change(event);
    if (kept === undefined) continue;
    (
      await copy.appendToStream(
        event.stream,
        [{ id: kept.id, type: kept.type, data: kept.data, metadata: kept.metadata }],
        "any",
      )
    )._unsafeUnwrap();
  }
  return copy;
};

/** The same store, except that readAll yields what `readAll` gives (a store that lost or skipped events). */
export const withReadAll = (store: EventStore, readAll: () => AsyncIterable<RecordedEvent>): EventStore => ({
  readStream: (stream, options) => store.readStream(stream, options),
  readEventById: (id) => store.readEventById(id),
  appendToStream: (stream, events, expected) => store.appendToStream(stream, events, expected),
  readAll,
  subscribe: (options, handler) => store.subscribe(options, handler),
  headPosition: () => store.headPosition(),
  close: () => store.close(),
});
