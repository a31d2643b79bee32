import { creditsStream, paymentStream, unmatchedChargeStream, type EventStore, type NewEvent } from "@starledger/core";

/** Appends in flight while loading, so a group-committing store batches them. */
const loadConcurrency = 2_000;
const base = Date.parse("2025-01-01T00:00:00Z");

export const uuidOf = (n: number): string =>
  `${(n >>> 0).toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const iso = (ms: number): string => new Date(ms).toISOString();

type Append = { readonly stream: string; readonly events: NewEvent[] };
let eventIdCounter = 0;
const newEvent = (type: string, data: Record<string, unknown>): NewEvent => ({
  id: uuidOf(1_000_000_000 + ++eventIdCounter),
  type,
  data,
  metadata: { schemaVersion: 1 },
});
/** One command's append: a single event on its stream. */
const appendOne = (stream: string, type: string, data: Record<string, unknown>): Append => ({
  stream,
  events: [newEvent(type, data)],
});

/** The payment numbered `i`: its ids, user, time and package follow from the number. */
type BenchPayment = {
  readonly i: number;
  readonly paymentId: string;
  readonly stream: string;
  readonly userId: number;
  readonly createdMs: number;
  readonly starsAmount: number;
  readonly credits: number;
};

const benchPayment = (i: number, users: number): BenchPayment => {
  const paymentId = uuidOf(i);
  const starsAmount = [10, 25, 50, 100][i % 4] ?? 10;
  return {
    i,
    paymentId,
    stream: paymentStream(paymentId),
    userId: 1_000_000 + (i % users),
    createdMs: base + i * 1_000,
    starsAmount,
    credits: starsAmount * 10,
  };
};

const created = (p: BenchPayment): Append =>
  appendOne(p.stream, "PaymentCreated", {
    paymentId: p.paymentId,
    userId: p.userId,
    packageId: `pkg_${p.credits}`,
    starsAmount: p.starsAmount,
    credits: p.credits,
    createdAt: iso(p.createdMs),
    expiresAt: iso(p.createdMs + 86_400_000),
  });

const failed = (p: BenchPayment, reason: string, message: string, afterMs: number): Append =>
  appendOne(p.stream, "PaymentFailed", {
    paymentId: p.paymentId,
    reason,
    message,
    failedAt: iso(p.createdMs + afterMs),
  });

/** A second charge on the paid invoice, and its refund. */
const extraCharge = (p: BenchPayment): Append[] => {
  const extraId = `stxExtra${p.i}`;
  return [
    appendOne(p.stream, "ExtraChargeReceived", {
      paymentId: p.paymentId,
      reason: "invoice_already_paid",
      telegramPaymentChargeId: extraId,
      providerPaymentChargeId: "",
      telegramUserId: p.userId,
      currency: "XTR",
      totalAmount: p.starsAmount,
      receivedAt: iso(p.createdMs + 7_000),
    }),
    appendOne(p.stream, "ExtraChargeRefunded", {
      paymentId: p.paymentId,
      telegramPaymentChargeId: extraId,
      totalAmount: p.starsAmount,
      refundedAt: iso(p.createdMs + 8_000),
    }),
  ];
};

/** Approved and paid; an extra charge every 50th payment; refunded by an admin when the roll is 97 or more. */
const paid = (p: BenchPayment, roll: number): Append[] => {
  const chargeId = `stxCharge${p.i}`;
  const appends = [
    appendOne(p.stream, "PreCheckoutApproved", {
      paymentId: p.paymentId,
      queryId: `q${p.i}`,
      telegramUserId: p.userId,
      totalAmount: p.starsAmount,
      approvedAt: iso(p.createdMs + 5_000),
    }),
    appendOne(p.stream, "PaymentPaid", {
      paymentId: p.paymentId,
      userId: p.userId,
      telegramPaymentChargeId: chargeId,
      providerPaymentChargeId: "",
      totalAmount: p.starsAmount,
      credits: p.credits,
      paidAt: iso(p.createdMs + 6_000),
    }),
  ];
  if (p.i % 50 === 0) appends.push(...extraCharge(p));
  if (roll >= 97) {
    appends.push(
      appendOne(p.stream, "PaymentRefunded", {
        paymentId: p.paymentId,
        userId: p.userId,
        telegramPaymentChargeId: chargeId,
        starsAmount: p.starsAmount,
        credits: p.credits,
        refundedBy: "admin",
        admin: "bench",
        refundedAt: iso(p.createdMs + 3_600_000),
      }),
    );
  }
  return appends;
};

/** After the PaymentCreated: the invoice fails (roll under 5), expires (under 15) or is paid. */
const afterCreated = (p: BenchPayment, roll: number): Append[] => {
  if (roll < 5) return [failed(p, "invoice_creation_failed", "Bad Request", 100)];
  const issued = appendOne(p.stream, "InvoiceIssued", {
    paymentId: p.paymentId,
    invoiceLink: `https://t.me/$inv${p.i}`,
    issuedAt: iso(p.createdMs + 100),
  });
  if (roll < 15) return [issued, failed(p, "expired", "The invoice expired before it was paid", 86_400_000)];
  return [issued, ...paid(p, roll)];
};

/** Beside the payment: an adjustment of its user's credits every 40th, an unmatched charge every 200th. */
const besidePayment = (p: BenchPayment): Append[] => {
  const appends: Append[] = [];
  if (p.i % 40 === 0) {
    appends.push(
      appendOne(creditsStream(p.userId), "CreditsAdjusted", {
        userId: p.userId,
        delta: 50,
        reason: "goodwill",
        admin: "bench",
        adjustedAt: iso(p.createdMs),
      }),
    );
  }
  if (p.i % 200 === 0) {
    const strayId = `stxStray${p.i}`;
    appends.push(
      appendOne(unmatchedChargeStream(strayId), "UnmatchedChargeReceived", {
        telegramPaymentChargeId: strayId,
        providerPaymentChargeId: "",
        invoicePayload: "stale",
        currency: "XTR",
        totalAmount: 25,
        telegramUserId: p.userId,
        receivedAt: iso(p.createdMs),
      }),
    );
  }
  return appends;
};

/**
 * Realistic histories written as the ledger would (valid shapes, one append per command on the right stream):
 * 85% of payments paid, 3% of those refunded, 10% expired, 5% invoice failures, an extra charge every 50th
 * paid payment, an adjustment every 40th payment and an unmatched charge every 200th. About 4 events per payment.
 */
function* histories(eventTarget: number, users: number): Generator<Append> {
  let written = 0;
  for (let i = 1; written < eventTarget; i++) {
    const p = benchPayment(i, users);
    for (const next of [created(p), ...afterCreated(p, i % 100), ...besidePayment(p)]) {
      if (written >= eventTarget) return;
      written += next.events.length;
      yield next;
    }
  }
}

/** Loads the events with appends in flight concurrently; a stream's appends are chained, each on the revision before. */
export const loadBenchHistories = async (store: EventStore, eventTarget: number, users: number): Promise<void> => {
  const revisions = new Map<string, bigint>();
  const inFlight = new Set<Promise<void>>();
  const tails = new Map<string, Promise<void>>();
  for (const append of histories(eventTarget, users)) {
    const expected = revisions.get(append.stream) ?? "no_stream";
    revisions.set(append.stream, (expected === "no_stream" ? -1n : expected) + BigInt(append.events.length));
    const write = async (): Promise<void> => {
      await tails.get(append.stream);
      const done = await store.appendToStream(append.stream, append.events, expected);
      if (done.isErr())
        throw new Error(
          `load failed: ${JSON.stringify(done.error, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
        );
    };
    const promise = write();
    tails.set(append.stream, promise);
    inFlight.add(promise);
    void promise.finally(() => {
      inFlight.delete(promise);
      if (tails.get(append.stream) === promise) tails.delete(append.stream);
    });
    if (inFlight.size >= loadConcurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
};
