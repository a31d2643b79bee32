import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InMemoryEventStore,
  StarsLedger,
  eventHash,
  genesisHash,
  parseLedgerEvent,
  type EventStore,
  type LedgerEvent,
  type RecordedEvent,
} from "../src/index.js";

/** Runs per property; `FC_NUM_RUNS` raises it for a longer hunt. */
const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const rate = 10;
const ttlMs = 30 * 60_000;
const base = Date.parse("2026-11-26T10:00:00.000Z");
const paymentIds = [1, 2, 3].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
const users = [101, 102, 103];
const charges = ["a", "b", "c"];
/** Telegram charge ids are globally unique: charge k of payment p. */
const chargeId = (p: number, k: number): string => `ch-${p}-${charges[k] ?? ""}`;
const packageStars = [10, 25, 50, 100] as const;

type Op =
  | { kind: "create"; payment: number; otherUser: boolean; otherPackage: boolean; minute: number }
  | {
      kind: "preCheckout";
      payment: number;
      otherUser: boolean;
      wrongAmount: boolean;
      currency: "XTR" | "USD";
      query: number;
      minute: number;
    }
  | {
      kind: "pay";
      payment: number;
      charge: number;
      payer: "owner" | "other" | "absent";
      wrongAmount: boolean;
      currency: "XTR" | "USD";
      minute: number;
    }
  | { kind: "telegramRefund"; payment: number; charge: number; minute: number }
  | { kind: "adminRefund"; payment: number; minute: number }
  | { kind: "adjust"; user: number; delta: number; minute: number }
  | { kind: "expire"; payment: number; minute: number }
  | { kind: "invoiceFailed"; payment: number; minute: number };

const payment = fc.nat({ max: paymentIds.length - 1 });
const user = fc.constantFrom(...users);
const minute = fc.nat({ max: 45 });
/** Mostly the right thing, sometimes not: the wrong cases must be there, but must not drown the paid ones. */
const rarely = fc.constantFrom(false, false, false, true);
const currency = fc.constantFrom("XTR" as const, "XTR" as const, "XTR" as const, "XTR" as const, "USD" as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      payment,
      otherUser: rarely,
      otherPackage: rarely,
      minute,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("preCheckout" as const),
      payment,
      otherUser: rarely,
      wrongAmount: rarely,
      currency,
      query: fc.nat({ max: 3 }),
      minute,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("pay" as const),
      payment,
      charge: fc.nat({ max: charges.length - 1 }),
      payer: fc.constantFrom("owner" as const, "owner" as const, "other" as const, "absent" as const),
      wrongAmount: rarely,
      currency,
      minute,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("telegramRefund" as const),
      payment,
      charge: fc.nat({ max: charges.length - 1 }),
      minute,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("adminRefund" as const), payment, minute }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("adjust" as const),
      user,
      delta: fc.integer({ min: -300, max: 300 }),
      minute,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), payment, minute }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("invoiceFailed" as const), payment, minute }) },
);

/**
 * A story: each payment's package and owner, the payments created up front (most stories create some;
 * a missing one exercises unmatched charges), then waves of commands; the commands of a wave run concurrently.
 */
const story = fc
  .record({
    packages: fc.tuple(...paymentIds.map(() => fc.constantFrom(...packageStars))),
    owners: fc.tuple(...paymentIds.map(() => user)),
    createdFirst: fc.subarray(paymentIds.map((_, index) => index)),
    waves: fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ packages, owners, createdFirst, waves }) => ({
    packages,
    owners,
    waves: [
      ...(createdFirst.length > 0
        ? [
            createdFirst.map((p): Op => ({
              kind: "create",
              payment: p,
              otherUser: false,
              otherPackage: false,
              minute: 0,
            })),
          ]
        : []),
      ...waves,
    ],
  }));
type Story = { packages: number[]; owners: number[]; waves: Op[][] };

/** Every read and append resolves when fast-check's scheduler says, so racing commands interleave in every order it tries. */
const scheduled = (inner: EventStore, s: fc.Scheduler): EventStore => ({
  readStream: s.scheduleFunction(function readStream(stream: string) {
    return inner.readStream(stream);
  }),
  appendToStream: s.scheduleFunction(function appendToStream(...args: Parameters<EventStore["appendToStream"]>) {
    return inner.appendToStream(...args);
  }),
  readAll: (options) => inner.readAll(options),
  subscribe: (options, handler) => inner.subscribe(options, handler),
  headPosition: () => inner.headPosition(),
  close: () => inner.close(),
});

type Outcome = { op: Op; ok: boolean; errorType?: string };

const at = (m: number): Date => new Date(base + m * 60_000);
const starsOf = (s: Story, p: number): number => s.packages[p] ?? 10;
const ownerOf = (s: Story, p: number): number => s.owners[p] ?? 101;
const otherThan = (u: number): number => users.find((candidate) => candidate !== u) ?? 0;

const runOp = async (ledger: StarsLedger, s: Story, o: Op): Promise<Outcome> => {
  const id = paymentIds[o.kind === "adjust" ? 0 : o.payment] ?? "";
  const outcome = (r: { isOk(): boolean; isErr(): boolean; error?: unknown }): Outcome => {
    const error = r.isErr() ? (r as { error: { type: string } }).error : undefined;
    return error === undefined ? { op: o, ok: true } : { op: o, ok: false, errorType: error.type };
  };
  switch (o.kind) {
    case "create": {
      const stars = starsOf(s, o.payment);
      const starsAmount = o.otherPackage ? (stars === 10 ? 25 : 10) : stars;
      const userId = o.otherUser ? otherThan(ownerOf(s, o.payment)) : ownerOf(s, o.payment);
      return outcome(await ledger.createPayment({ paymentId: id, userId, starsAmount, now: at(o.minute) }));
    }
    case "preCheckout":
      return outcome(
        await ledger.answerPreCheckout({
          invoicePayload: id,
          queryId: `q${o.query}`,
          telegramUserId: o.otherUser ? otherThan(ownerOf(s, o.payment)) : ownerOf(s, o.payment),
          currency: o.currency,
          totalAmount: starsOf(s, o.payment) + (o.wrongAmount ? 1 : 0),
          now: at(o.minute),
        }),
      );
    case "pay":
      return outcome(
        await ledger.recordSuccessfulPayment({
          invoicePayload: id,
          telegramPaymentChargeId: chargeId(o.payment, o.charge),
          providerPaymentChargeId: "",
          currency: o.currency,
          totalAmount: starsOf(s, o.payment) + (o.wrongAmount ? 1 : 0),
          ...(o.payer === "absent"
            ? {}
            : { telegramUserId: o.payer === "owner" ? ownerOf(s, o.payment) : otherThan(ownerOf(s, o.payment)) }),
          now: at(o.minute),
        }),
      );
    case "telegramRefund":
      return outcome(
        await ledger.recordRefundedPayment({
          invoicePayload: id,
          telegramPaymentChargeId: chargeId(o.payment, o.charge),
          now: at(o.minute),
        }),
      );
    case "adminRefund":
      return outcome(await ledger.refundPayment(id, "admin:1", at(o.minute)));
    case "adjust":
      return outcome(
        await ledger.adjustCredits({
          userId: o.user,
          delta: o.delta,
          reason: "property test",
          admin: "admin:1",
          now: at(o.minute),
        }),
      );
    case "expire":
      return outcome(await ledger.expirePayment(id, at(o.minute)));
    case "invoiceFailed":
      return outcome(await ledger.recordInvoiceCreationFailed(id, "Telegram said no", at(o.minute)));
  }
};

/** `ledger` reads the store directly: the scheduler releases nothing once a story has been played. */
type Run = {
  store: InMemoryEventStore;
  ledger: StarsLedger;
  outcomes: Outcome[];
  events: RecordedEvent[];
  parsed: (LedgerEvent & { stream: string })[];
};

const play = async (s: fc.Scheduler, st: Story): Promise<Run> => {
  const store = new InMemoryEventStore();
  const settings = { starsToCreditsRate: rate, paymentTtlMs: ttlMs, requireSameUser: true };
  const racing = new StarsLedger(scheduled(store, s), settings, { retryPause: () => Promise.resolve() });
  const ledger = new StarsLedger(store, settings);
  const outcomes: Outcome[] = [];
  for (const wave of st.waves) {
    outcomes.push(...(await s.waitFor(Promise.all(wave.map((o) => runOp(racing, st, o))))));
  }
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  const parsed = events.map((e) => {
    const result = parseLedgerEvent(e.type, e.data, e.metadata.schemaVersion);
    if (!result.ok) throw new Error(result.error.message);
    return { ...result.event, stream: e.stream };
  });
  return { store, ledger, outcomes, events, parsed };
};

const check = (property: (run: Run, st: Story) => Promise<void> | void) =>
  fc.assert(
    fc.asyncProperty(fc.scheduler(), story, async (s, st) => {
      await property(await play(s, st), st);
    }),
    { numRuns, verbose: fc.VerbosityLevel.Verbose },
  );

const ofType = <T extends LedgerEvent["type"]>(run: Run, type: T) =>
  run.parsed.filter((e): e is Extract<LedgerEvent, { type: T }> & { stream: string } => e.type === type);

describe("no payment is ever double-credited (fast-check, concurrent commands through the handler)", () => {
  it("1. at most one PaymentPaid per payment, whatever the order, duplication or concurrency", async () => {
    await check((run) => {
      for (const id of paymentIds) {
        expect(ofType(run, "PaymentPaid").filter((e) => e.data.paymentId === id).length).toBeLessThanOrEqual(1);
      }
      // A charge id is credited at most once across the whole ledger.
      const chargeIds = ofType(run, "PaymentPaid").map((e) => e.data.telegramPaymentChargeId);
      expect(new Set(chargeIds).size).toBe(chargeIds.length);
    });
  });

  it("2. credits granted to each user = credits of paid-and-not-refunded payments + adjustments", async () => {
    await check(async (run, st) => {
      const granted = new Map<number, number>();
      const add = (u: number, n: number) => granted.set(u, (granted.get(u) ?? 0) + n);
      for (const e of run.parsed) {
        if (e.type === "PaymentPaid") add(e.data.userId, e.data.credits);
        if (e.type === "PaymentRefunded") add(e.data.userId, -e.data.credits);
        if (e.type === "CreditsAdjusted") add(e.data.userId, e.data.delta);
      }
      const expected = new Map<number, number>();
      const expect_ = (u: number, n: number) => expected.set(u, (expected.get(u) ?? 0) + n);
      for (const [index, id] of paymentIds.entries()) {
        const state = await run.ledger.getPayment(id);
        if (state.isOk() && state.value.status === "PAID") expect_(state.value.userId, starsOf(st, index) * rate);
      }
      for (const o of run.outcomes) if (o.op.kind === "adjust" && o.ok) expect_(o.op.user, o.op.delta);
      for (const u of users) expect(granted.get(u) ?? 0).toBe(expected.get(u) ?? 0);
      // Every credited charge was a real charge of exactly the invoiced amount in XTR.
      for (const e of ofType(run, "PaymentPaid")) {
        const index = paymentIds.indexOf(e.data.paymentId);
        const matching = run.outcomes.filter(
          (o) =>
            o.op.kind === "pay" &&
            o.op.payment === index &&
            o.ok &&
            chargeId(o.op.payment, o.op.charge) === e.data.telegramPaymentChargeId &&
            !o.op.wrongAmount &&
            o.op.currency === "XTR",
        );
        expect(matching.length).toBeGreaterThan(0);
        expect(e.data.totalAmount).toBe(starsOf(st, index));
      }
    });
  });

  it("3. a pre-checkout with the wrong amount, currency or user is never approved", async () => {
    await check((run, st) => {
      for (const approved of ofType(run, "PreCheckoutApproved")) {
        const created = ofType(run, "PaymentCreated").find((c) => c.data.paymentId === approved.data.paymentId);
        expect(created).toBeDefined();
        expect(approved.data.totalAmount).toBe(created?.data.starsAmount);
        expect(approved.data.telegramUserId).toBe(created?.data.userId);
      }
      for (const o of run.outcomes) {
        const op = o.op;
        if (op.kind !== "preCheckout") continue;
        const created = ofType(run, "PaymentCreated").find((c) => c.data.paymentId === paymentIds[op.payment]);
        const asked = op.otherUser ? otherThan(ownerOf(st, op.payment)) : ownerOf(st, op.payment);
        if (op.wrongAmount || op.currency !== "XTR" || asked !== created?.data.userId) {
          expect(o).toMatchObject({ ok: false, errorType: "PreCheckoutRefused" });
        }
      }
    });
  });

  it("4. replaying the recorded events rebuilds exactly the same states, and every hash chain verifies", async () => {
    await check(async (run) => {
      const copy = new InMemoryEventStore();
      for (const e of run.events) {
        const { stream, revision: _r, position: _p, recordedAt: _t, ...event } = e;
        (await copy.appendToStream(stream, [event], "any"))._unsafeUnwrap();
      }
      const replayed = new StarsLedger(copy, { starsToCreditsRate: rate, paymentTtlMs: ttlMs, requireSameUser: true });
      for (const id of paymentIds) {
        const original = await run.ledger.getPayment(id);
        const rebuilt = await replayed.getPayment(id);
        expect(rebuilt.isOk()).toBe(original.isOk());
        if (original.isOk()) expect(rebuilt._unsafeUnwrap()).toEqual(original.value);
      }
      const lastHash = new Map<string, string>();
      for (const e of run.events) {
        const prevHash = lastHash.get(e.stream) ?? genesisHash;
        expect(e.metadata.prevHash).toBe(prevHash);
        expect(e.metadata.hash).toBe(
          eventHash({ stream: e.stream, revision: e.revision, type: e.type, data: e.data, prevHash }),
        );
        lastHash.set(e.stream, e.metadata.hash ?? "");
      }
    });
  });

  it("5. every recorded sequence is one the payment rules admit (checked by an independent state machine)", async () => {
    await check((run) => {
      type S = {
        status: string;
        stars: number;
        credits: number;
        user: number;
        paidCharge?: string;
        seen: Set<string>;
        extra: Map<string, boolean>;
        pendingMismatch: boolean;
      };
      const streams = new Map<string, S>();
      for (const e of run.parsed) {
        if (!e.stream.startsWith("payment-")) continue;
        const s = streams.get(e.stream);
        if (e.type === "PaymentCreated") {
          expect(s).toBeUndefined();
          streams.set(e.stream, {
            status: "PENDING",
            stars: e.data.starsAmount,
            credits: e.data.credits,
            user: e.data.userId,
            seen: new Set(),
            extra: new Map(),
            pendingMismatch: false,
          });
          expect(e.data.credits).toBe(e.data.starsAmount * rate);
          continue;
        }
        expect(s, `${e.type} before PaymentCreated`).toBeDefined();
        if (s === undefined) return;
        switch (e.type) {
          case "InvoiceIssued":
          case "PreCheckoutApproved":
            expect(s.status).toBe("PENDING");
            break;
          case "PaymentPaid":
            expect(s.status).toBe("PENDING");
            expect(s.seen.has(e.data.telegramPaymentChargeId)).toBe(false);
            expect([e.data.totalAmount, e.data.credits, e.data.userId]).toEqual([s.stars, s.credits, s.user]);
            s.status = "PAID";
            s.paidCharge = e.data.telegramPaymentChargeId;
            s.seen.add(e.data.telegramPaymentChargeId);
            break;
          case "PaymentFailed":
            expect(s.status).toBe("PENDING");
            s.status = "FAILED";
            s.pendingMismatch = e.data.reason === "amount_mismatch" || e.data.reason === "currency_mismatch";
            break;
          case "PaymentRefunded":
            expect(s.status).toBe("PAID");
            expect(e.data.telegramPaymentChargeId).toBe(s.paidCharge);
            expect(e.data.credits).toBe(s.credits);
            s.status = "REFUNDED";
            break;
          case "ExtraChargeReceived":
            expect(s.seen.has(e.data.telegramPaymentChargeId)).toBe(false);
            if (e.data.reason === "amount_mismatch" || e.data.reason === "currency_mismatch") {
              expect(s.pendingMismatch).toBe(true);
            } else {
              expect(s.status).not.toBe("PENDING");
            }
            s.pendingMismatch = false;
            s.seen.add(e.data.telegramPaymentChargeId);
            s.extra.set(e.data.telegramPaymentChargeId, false);
            break;
          case "ExtraChargeRefunded":
            expect(s.extra.get(e.data.telegramPaymentChargeId)).toBe(false);
            s.extra.set(e.data.telegramPaymentChargeId, true);
            break;
          default:
            throw new Error(`${e.type} on a payment stream`);
        }
      }
    });
  });
});

describe("the stories reach the cases that matter", () => {
  it("generated stories include credits, redeliveries, extra charges, refunds, refusals and lost races", async () => {
    const seen = new Map<string, number>();
    const bump = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), story, async (s, st) => {
        let appends = 0;
        let conflicts = 0;
        const counting = (inner: EventStore): EventStore => ({
          ...scheduled(inner, s),
          appendToStream: s.scheduleFunction(async function appendToStream(
            ...args: Parameters<EventStore["appendToStream"]>
          ) {
            const result = await inner.appendToStream(...args);
            appends++;
            if (result.isErr() && result.error.type === "ConcurrencyError") conflicts++;
            return result;
          }),
        });
        const store = new InMemoryEventStore();
        const ledger = new StarsLedger(
          counting(store),
          { starsToCreditsRate: rate, paymentTtlMs: ttlMs, requireSameUser: true },
          { retryPause: () => Promise.resolve() },
        );
        for (const wave of (st as Story).waves)
          await s.waitFor(Promise.all(wave.map((o) => runOp(ledger, st as Story, o))));
        const types = new Set<string>();
        for await (const e of store.readAll()) types.add(e.type);
        for (const t of types) bump(t);
        if (conflicts > 0) bump("lost race");
        if (appends > 0) bump("any append");
      }),
      { numRuns: 300, seed: 42 },
    );
    for (const key of [
      "PaymentPaid",
      "ExtraChargeReceived",
      "ExtraChargeRefunded",
      "PaymentRefunded",
      "PreCheckoutApproved",
      "PaymentFailed",
      "CreditsAdjusted",
      "UnmatchedChargeReceived",
      "lost race",
    ]) {
      expect(seen.get(key) ?? 0, `${key} in 300 stories`).toBeGreaterThan(10);
    }
  });
});
