import type fc from "fast-check";
import {
  InMemoryEventStore,
  StarsLedger,
  parseLedgerEvent,
  type EventStore,
  type LedgerEvent,
  type RecordedEvent,
} from "../src/index.js";
import {
  chargeOf,
  otherThan,
  ownerOf,
  paymentIds,
  rate,
  starsOf,
  ttlMs,
  users,
  type Op,
  type Story,
} from "./ledger-stories.js";

/**
 * Plays the stories of ledger-stories.ts: each command on one of two ledgers over one store, racing under
 * fast-check's scheduler, and what every command answered and the store recorded.
 */

const base = Date.parse("2026-11-26T10:00:00.000Z");

/** Every read and append resolves when fast-check's scheduler says, so racing commands interleave in every order it tries. */
export const scheduled = (inner: EventStore, s: fc.Scheduler): EventStore => ({
  readStream: s.scheduleFunction(function readStream(...args: Parameters<EventStore["readStream"]>) {
    return inner.readStream(...args);
  }),
  readEventById: s.scheduleFunction(function readEventById(id: string) {
    return inner.readEventById(id);
  }),
  appendToStream: s.scheduleFunction(function appendToStream(...args: Parameters<EventStore["appendToStream"]>) {
    return inner.appendToStream(...args);
  }),
  readAll: (options) => inner.readAll(options),
  subscribe: (options, handler) => inner.subscribe(options, handler),
  headPosition: () => inner.headPosition(),
  close: () => inner.close(),
});

export type Outcome = { op: Op; ok: boolean; errorType?: string; kind?: string; replayed?: boolean };

const at = (m: number): Date => new Date(base + m * 60_000);
const keyOf = (s: Story, k: number | null): { idempotencyKey?: string } =>
  k === null ? {} : { idempotencyKey: s.keys[k] ?? "" };

type Settled = { isOk(): boolean; isErr(): boolean; error?: unknown; value?: unknown };
const outcomeOf = (o: Op, r: Settled): Outcome => {
  if (r.isErr()) return { op: o, ok: false, errorType: (r as { error: { type: string } }).error.type };
  const value = (r as { value: { kind?: string; replayed?: boolean } }).value;
  return {
    op: o,
    ok: true,
    ...(value.kind === undefined ? {} : { kind: value.kind }),
    ...(value.replayed === undefined ? {} : { replayed: value.replayed }),
  };
};

/** The payment that took a charge (credited or kept aside), as Telegram's refunded_payment would name it. */
const payloadThatTook = async (ledger: StarsLedger, chargeId: string): Promise<string | undefined> => {
  for (const paymentId of paymentIds) {
    const payment = await ledger.getPayment(paymentId);
    if (payment.isOk() && (payment.value.paidChargeId === chargeId || payment.value.uncreditedCharges.has(chargeId)))
      return paymentId;
  }
  return undefined;
};

export const runOp = async (ledger: StarsLedger, s: Story, o: Op): Promise<Outcome> => {
  const id = paymentIds[o.kind === "adjust" || o.kind === "payUnmatched" ? 0 : o.payment] ?? "";
  const charged = (invoicePayload: string, c: number, provider: string, currency: string, totalAmount: number) => ({
    invoicePayload,
    telegramPaymentChargeId: chargeOf(s, c),
    providerPaymentChargeId: provider,
    currency,
    totalAmount,
  });
  switch (o.kind) {
    case "create": {
      const stars = starsOf(s, o.payment);
      const starsAmount = o.otherPackage ? (stars === 10 ? 25 : 10) : stars;
      const userId = o.otherUser ? otherThan(ownerOf(s, o.payment)) : ownerOf(s, o.payment);
      return outcomeOf(o, await ledger.createPayment({ paymentId: id, userId, starsAmount, now: at(o.minute) }));
    }
    case "issue":
      return outcomeOf(o, await ledger.recordInvoiceIssued(id, o.link, at(o.minute)));
    case "preCheckout":
      return outcomeOf(
        o,
        await ledger.answerPreCheckout({
          invoicePayload: id,
          queryId: o.query,
          telegramUserId: o.otherUser ? otherThan(ownerOf(s, o.payment)) : ownerOf(s, o.payment),
          currency: o.currency,
          totalAmount: starsOf(s, o.payment) + (o.wrongAmount ? 1 : 0),
          now: at(o.minute),
        }),
      );
    case "pay": {
      const owner = ownerOf(s, o.payment);
      const payer = o.payer === "absent" ? {} : { telegramUserId: o.payer === "owner" ? owner : otherThan(owner) };
      const amount = starsOf(s, o.payment) + (o.wrongAmount ? 1 : 0);
      return outcomeOf(
        o,
        await ledger.recordSuccessfulPayment({
          ...charged(id, o.charge, o.provider, o.currency, amount),
          ...payer,
          now: at(o.minute),
        }),
      );
    }
    case "payUnmatched":
      return outcomeOf(
        o,
        await ledger.recordSuccessfulPayment({
          ...charged(o.payload, o.charge, o.provider, "XTR", 10),
          telegramUserId: users[0] ?? 101,
          now: at(o.minute),
        }),
      );
    case "telegramRefund": {
      const chargeId = chargeOf(s, o.charge);
      const invoicePayload = o.truthful ? ((await payloadThatTook(ledger, chargeId)) ?? "not-a-payment") : id;
      return outcomeOf(
        o,
        await ledger.recordRefundedPayment({ invoicePayload, telegramPaymentChargeId: chargeId, now: at(o.minute) }),
      );
    }
    case "adminRefund":
      return outcomeOf(o, await ledger.refundPayment(id, o.admin, at(o.minute), keyOf(s, o.key)));
    case "adjust":
      return outcomeOf(
        o,
        await ledger.adjustCredits({
          userId: o.user,
          delta: o.delta,
          reason: o.reason,
          admin: o.admin,
          ...keyOf(s, o.key),
          now: at(o.minute),
        }),
      );
    case "expire":
      return outcomeOf(o, await ledger.expirePayment(id, at(o.minute)));
    case "invoiceFailed":
      return outcomeOf(o, await ledger.recordInvoiceCreationFailed(id, o.message, at(o.minute)));
  }
};

/** `ledger` reads the store directly: the scheduler releases nothing once a story has been played. */
export type Run = {
  store: InMemoryEventStore;
  ledger: StarsLedger;
  outcomes: Outcome[];
  events: RecordedEvent[];
  parsed: (LedgerEvent & { stream: string })[];
};

export const ledgerSettings = { starsToCreditsRate: rate, paymentTtlMs: ttlMs, requireSameUser: true };

/** Two ledgers over one store, as two server instances: each has its own lanes and cached states, and they race. */
export const racingLedgers = (store: EventStore): readonly [StarsLedger, StarsLedger] => [
  new StarsLedger(store, ledgerSettings, { retryPause: () => Promise.resolve() }),
  new StarsLedger(store, ledgerSettings, { retryPause: () => Promise.resolve() }),
];

/** A wave's commands, alternately on each instance, all at once. */
export const runWave = (ledgers: readonly [StarsLedger, StarsLedger], st: Story, wave: readonly Op[]) =>
  Promise.all(wave.map((o, index) => runOp(ledgers[index % 2] ?? ledgers[0], st, o)));

export const play = async (s: fc.Scheduler, st: Story): Promise<Run> => {
  const store = new InMemoryEventStore();
  const racing = racingLedgers(scheduled(store, s));
  const ledger = new StarsLedger(store, ledgerSettings);
  const outcomes: Outcome[] = [];
  for (const wave of st.waves) outcomes.push(...(await s.waitFor(runWave(racing, st, wave))));
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  const parsed = events.map((e) => {
    const result = parseLedgerEvent(e.type, e.data, e.metadata.schemaVersion);
    if (!result.ok) throw new Error(result.error.message);
    return { ...result.event, stream: e.stream };
  });
  return { store, ledger, outcomes, events, parsed };
};

export const ofType = <T extends LedgerEvent["type"]>(run: Run, type: T) =>
  run.parsed.filter((e): e is Extract<LedgerEvent, { type: T }> & { stream: string } => e.type === type);
