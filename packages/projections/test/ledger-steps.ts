import type { StarsLedger } from "@starledger/core";
import fc from "fast-check";
import { paymentIdOf } from "./fixtures.js";

export const users = [101, 102, 103, 104] as const;
const packages = ["pkg_100", "pkg_250", "pkg_500", "pkg_1000"] as const;
const hourMs = 3_600_000;

export type Step =
  | { kind: "create"; user: number; pkg: number }
  | { kind: "issueInvoice"; p: number }
  | { kind: "invoiceFailed"; p: number }
  | { kind: "preCheckout"; p: number; otherUser: boolean; wrongAmount: boolean }
  | { kind: "pay"; p: number; charge: number; wrongAmount: boolean; currency: "XTR" | "USD"; withPayer: boolean }
  /** Payment `from`'s charge delivered for payment p, or as unmatched: one charge id on several streams. */
  | { kind: "payForeign"; p: number; from: number; charge: number; unmatched: boolean }
  | { kind: "payUnmatched"; charge: number; payload: "garbage" | "unknown-payment" }
  | { kind: "telegramRefund"; p: number; charge: number }
  | { kind: "telegramRefundUnmatched"; charge: number }
  | { kind: "adminRefund"; p: number; key: number | null }
  | { kind: "extraChargeRefunded"; p: number; charge: number }
  | { kind: "adjust"; user: number; delta: number; key: number | null }
  | { kind: "expire"; p: number }
  | { kind: "tick"; ms: number }
  | { kind: "restartRunner" };

const index = fc.nat({ max: 7 });
const charge = fc.nat({ max: 2 });
/** An Idempotency-Key from a small pool, so keys are reused on other payments and users; or none. */
const key = fc.option(fc.nat({ max: 2 }), { freq: 2 });
export const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("create" as const), user: fc.nat({ max: 3 }), pkg: fc.nat({ max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("issueInvoice" as const), p: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("invoiceFailed" as const), p: index }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("preCheckout" as const),
      p: index,
      otherUser: fc.constantFrom(false, false, false, true),
      wrongAmount: fc.constantFrom(false, false, false, true),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("pay" as const),
      p: index,
      charge,
      wrongAmount: fc.constantFrom(false, false, false, false, true),
      currency: fc.constantFrom("XTR" as const, "XTR" as const, "XTR" as const, "USD" as const),
      withPayer: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("payForeign" as const),
      p: index,
      from: index,
      charge,
      unmatched: fc.constantFrom(false, false, true),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("payUnmatched" as const),
      charge,
      payload: fc.constantFrom("garbage" as const, "unknown-payment" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("telegramRefund" as const), p: index, charge }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("telegramRefundUnmatched" as const), charge }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("adminRefund" as const), p: index, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("extraChargeRefunded" as const), p: index, charge }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("adjust" as const),
      user: fc.nat({ max: 3 }),
      delta: fc.integer({ min: -500, max: 500 }).filter((d) => d !== 0),
      key,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), p: index }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("tick" as const),
      ms: fc.oneof(fc.integer({ min: -hourMs / 2, max: 3 * hourMs }), fc.constant(25 * hourMs)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "restartRunner" as const }) },
);

export const chargeIdOf = (p: number, c: number): string => `charge-${p}-${c}`;
export const unmatchedChargeIdOf = (c: number): string => `stray-${c}`;

/** What the steps share while they run: the payments created so far and the story's clock. */
type StepRun = {
  readonly ledger: StarsLedger;
  readonly paymentIds: string[];
  readonly nowMs: () => number;
  readonly date: () => Date;
  /** The p-th payment created (modulo their number), with its index; undefined before the first. */
  readonly pick: (p: number) => { paymentId: string; p: number } | undefined;
};

type StepOf<K extends Step["kind"]> = Extract<Step, { kind: K }>;

const pay = async (run: StepRun, s: StepOf<"pay">): Promise<void> => {
  const target = run.pick(s.p);
  if (target === undefined) return;
  const payment = await run.ledger.getPayment(target.paymentId);
  if (payment.isErr()) return;
  await run.ledger.recordSuccessfulPayment({
    invoicePayload: target.paymentId,
    telegramPaymentChargeId: chargeIdOf(target.p, s.charge),
    providerPaymentChargeId: "",
    currency: s.currency,
    totalAmount: payment.value.starsAmount + (s.wrongAmount ? 5 : 0),
    ...(s.withPayer ? { telegramUserId: payment.value.userId } : {}),
    now: run.date(),
  });
};

/** Another payment's charge, sent for this payment or with a payload that names none. */
const payForeign = async (run: StepRun, s: StepOf<"payForeign">): Promise<void> => {
  const target = run.pick(s.p);
  const owner = run.pick(s.from);
  if (target === undefined || owner === undefined) return;
  const payment = await run.ledger.getPayment(target.paymentId);
  if (payment.isErr()) return;
  await run.ledger.recordSuccessfulPayment({
    invoicePayload: s.unmatched ? "not-a-payment" : target.paymentId,
    telegramPaymentChargeId: chargeIdOf(owner.p, s.charge),
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount: payment.value.starsAmount,
    telegramUserId: payment.value.userId,
    now: run.date(),
  });
};

const preCheckout = async (run: StepRun, s: StepOf<"preCheckout">): Promise<void> => {
  const target = run.pick(s.p);
  if (target === undefined) return;
  const payment = await run.ledger.getPayment(target.paymentId);
  if (payment.isErr()) return;
  await run.ledger.answerPreCheckout({
    invoicePayload: target.paymentId,
    queryId: `query-${run.nowMs()}`,
    telegramUserId: s.otherUser ? 999 : payment.value.userId,
    currency: "XTR",
    totalAmount: payment.value.starsAmount + (s.wrongAmount ? 1 : 0),
    now: run.date(),
  });
};

/** The Telegram updates that carry a charge or its refund; false for any other step. */
const runTelegramStep = async (run: StepRun, s: Step): Promise<boolean> => {
  const { ledger, date, pick } = run;
  switch (s.kind) {
    case "preCheckout":
      await preCheckout(run, s);
      return true;
    case "pay":
      await pay(run, s);
      return true;
    case "payForeign":
      await payForeign(run, s);
      return true;
    case "payUnmatched":
      await ledger.recordSuccessfulPayment({
        invoicePayload: s.payload === "garbage" ? "not-a-payment" : paymentIdOf(10_000 + s.charge),
        telegramPaymentChargeId: unmatchedChargeIdOf(s.charge),
        providerPaymentChargeId: "",
        currency: "XTR",
        totalAmount: 25,
        telegramUserId: 555,
        now: date(),
      });
      return true;
    case "telegramRefund": {
      const target = pick(s.p);
      if (target !== undefined) {
        const charge = chargeIdOf(target.p, s.charge);
        const refund = { invoicePayload: target.paymentId, telegramPaymentChargeId: charge, now: date() };
        await ledger.recordRefundedPayment(refund);
      }
      return true;
    }
    case "telegramRefundUnmatched":
      await ledger.recordRefundedPayment({
        invoicePayload: "not-a-payment",
        telegramPaymentChargeId: unmatchedChargeIdOf(s.charge),
        now: date(),
      });
      return true;
    default:
      return false;
  }
};

/** Runs the steps through the ledger's use cases; errors are outcomes the ledger refused, and write nothing. */
export const runSteps = async (
  ledger: StarsLedger,
  steps: readonly Step[],
  onRestart: () => Promise<void>,
): Promise<string[]> => {
  const paymentIds: string[] = [];
  let now = Date.parse("2025-01-01T00:00:00Z");
  const date = (): Date => new Date(now);
  const pick = (p: number): { paymentId: string; p: number } | undefined => {
    if (paymentIds.length === 0) return undefined;
    const at = p % paymentIds.length;
    const paymentId = paymentIds[at];
    return paymentId === undefined ? undefined : { paymentId, p: at };
  };
  const run: StepRun = { ledger, paymentIds, nowMs: () => now, date, pick };
  for (const s of steps) {
    if (await runTelegramStep(run, s)) continue;
    switch (s.kind) {
      case "create": {
        const paymentId = paymentIdOf(paymentIds.length + 1);
        const created = await ledger.createPayment({
          paymentId,
          userId: users[s.user] ?? 101,
          packageId: packages[s.pkg] ?? "pkg_100",
          now: date(),
        });
        if (created.isOk()) paymentIds.push(paymentId);
        break;
      }
      case "issueInvoice": {
        const target = pick(s.p);
        if (target !== undefined)
          await ledger.recordInvoiceIssued(target.paymentId, `https://t.me/$${target.paymentId}`, date());
        break;
      }
      case "invoiceFailed": {
        const target = pick(s.p);
        if (target !== undefined)
          await ledger.recordInvoiceCreationFailed(target.paymentId, "Bad Request: bot was blocked", date());
        break;
      }
      case "adminRefund": {
        const target = pick(s.p);
        if (target !== undefined) {
          const request = s.key === null ? {} : { idempotencyKey: `refund-key-${s.key}` };
          await ledger.refundPayment(target.paymentId, "admin-1", date(), request);
        }
        break;
      }
      case "extraChargeRefunded": {
        const target = pick(s.p);
        if (target !== undefined)
          await ledger.recordExtraChargeRefunded(target.paymentId, chargeIdOf(target.p, s.charge), date());
        break;
      }
      case "adjust":
        await ledger.adjustCredits({
          userId: users[s.user] ?? 101,
          delta: s.delta,
          reason: "support",
          admin: "admin-1",
          ...(s.key === null ? {} : { idempotencyKey: `adjust-key-${s.key}` }),
          now: date(),
        });
        break;
      case "expire": {
        const target = pick(s.p);
        if (target !== undefined) await ledger.expirePayment(target.paymentId, date());
        break;
      }
      case "tick":
        now += s.ms;
        break;
      case "restartRunner":
        await onRestart();
        break;
    }
  }
  return paymentIds;
};
