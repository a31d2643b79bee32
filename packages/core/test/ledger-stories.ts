import fc from "fast-check";
import { propertyRuns, propertyTimeoutMs } from "../src/testing/index.js";

/**
 * Stories for the no-double-credit properties: payments, their owners and packages, and waves of commands that
 * race. Every string the ledger passes to a decider comes from `text` (any code point, lone surrogates and NUL
 * included), and charge ids come from one pool shared by every payment and by payloads that name no payment.
 * ledger-story-runs.ts plays them.
 */

/** Runs per property by default: enough to hold a full `npm test` on a busy machine; `npm run test:deep` hunts longer. */
export const defaultRuns = 100;
export const numRuns = propertyRuns(defaultRuns);
/** Each property's time limit, scaled with FC_NUM_RUNS. */
export const timeoutMs = propertyTimeoutMs(defaultRuns);
export const rate = 10;
export const ttlMs = 30 * 60_000;
export const paymentIds = [1, 2, 3].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
export const users = [101, 102, 103];
/** Charge ids, drawn for each story; any payment (or none) may be sent any of them. */
export const chargePoolSize = 6;
/** Admin Idempotency-Keys, drawn for each story; adjustments and refunds share them. */
export const keyPoolSize = 2;
const packageStars = [10, 25, 50, 100] as const;

/** Code points that broke stores and hashes before: lone surrogates, NUL, the replacement character, combining marks. */
const awkward = fc.constantFrom("\ud800", "\udfff", "\u0000", "\ufffd", "\u{1F4A9}", "e\u0301", "\u202e");
// Mostly well-formed text (any grapheme), so stories get far enough to credit and conflict; one in four draws any
// code point or an awkward one, which the stores must refuse when it is a lone surrogate or NUL.
export const text: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }), weight: 3 },
    {
      arbitrary: fc
        .array(fc.oneof(awkward, fc.string({ unit: "binary", maxLength: 2 })), { minLength: 1, maxLength: 3 })
        .map((parts) => parts.join("")),
      weight: 1,
    },
  )
  .filter((value) => value.length > 0);

export type Op =
  | { kind: "create"; payment: number; otherUser: boolean; otherPackage: boolean; minute: number }
  | { kind: "issue"; payment: number; link: string; minute: number }
  | {
      kind: "preCheckout";
      payment: number;
      otherUser: boolean;
      wrongAmount: boolean;
      currency: string;
      query: string;
      minute: number;
    }
  | {
      kind: "pay";
      /** Index into paymentIds; a payment the story never created sends the charge to the unmatched path. */
      payment: number;
      /** Index into the story's charge pool. */
      charge: number;
      payer: "owner" | "other" | "absent";
      wrongAmount: boolean;
      currency: string;
      provider: string;
      minute: number;
    }
  | { kind: "payUnmatched"; payload: string; charge: number; provider: string; minute: number }
  /** Telegram's refunded_payment; `truthful`: its payload is the payment that took the charge, as Telegram's would be. */
  | { kind: "telegramRefund"; payment: number; charge: number; truthful: boolean; minute: number }
  | { kind: "adminRefund"; payment: number; admin: string; key: number | null; minute: number }
  | { kind: "adjust"; user: number; delta: number; reason: string; admin: string; key: number | null; minute: number }
  | { kind: "expire"; payment: number; minute: number }
  | { kind: "invoiceFailed"; payment: number; message: string; minute: number };

const payment = fc.nat({ max: paymentIds.length - 1 });
const user = fc.constantFrom(...users);
const minute = fc.nat({ max: 45 });
const charge = fc.nat({ max: chargePoolSize - 1 });
const key = fc.option(fc.nat({ max: keyPoolSize - 1 }), { freq: 4 });
/** Mostly the right thing, sometimes not: the wrong cases must be there, but must not drown the paid ones. */
const rarely = fc.constantFrom(false, false, false, true);
const currency = fc.oneof({ weight: 6, arbitrary: fc.constant("XTR") }, { weight: 1, arbitrary: text });

const adjustOp = fc.record({
  kind: fc.constant("adjust" as const),
  // One adjustment recurs, so a key is often sent again with the very same request.
  user: fc.oneof({ weight: 3, arbitrary: fc.constant(users[0] ?? 101) }, { weight: 1, arbitrary: user }),
  delta: fc.oneof(
    { weight: 3, arbitrary: fc.constant(50) },
    { weight: 1, arbitrary: fc.integer({ min: -300, max: 300 }) },
  ),
  reason: fc.oneof({ weight: 3, arbitrary: fc.constant("property test") }, { weight: 1, arbitrary: text }),
  admin: text,
  key,
  minute,
});
const adminRefundOp = fc.record({ kind: fc.constant("adminRefund" as const), payment, admin: text, key, minute });

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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("issue" as const), payment, link: text, minute }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("preCheckout" as const),
      payment,
      otherUser: rarely,
      wrongAmount: rarely,
      currency,
      query: fc.oneof(fc.constantFrom("q0", "q1"), text),
      minute,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("pay" as const),
      payment,
      charge,
      payer: fc.constantFrom("owner" as const, "owner" as const, "other" as const, "absent" as const),
      wrongAmount: rarely,
      currency,
      provider: fc.oneof(fc.constant(""), text),
      minute,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("payUnmatched" as const),
      payload: text,
      charge,
      provider: fc.oneof(fc.constant(""), text),
      minute,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("telegramRefund" as const),
      payment,
      charge,
      truthful: fc.constantFrom(true, true, true, false),
      minute,
    }),
  },
  { weight: 3, arbitrary: adminRefundOp },
  { weight: 3, arbitrary: adjustOp },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), payment, minute }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("invoiceFailed" as const), payment, message: text, minute }) },
);

export type Story = { packages: number[]; owners: number[]; charges: string[]; keys: string[]; waves: Op[][] };

/**
 * A story: each payment's package and owner, the story's charge ids and admin keys, the payments created up front
 * (most stories create some; a missing one exercises unmatched charges), then waves of commands run concurrently.
 */
export const story: fc.Arbitrary<Story> = fc
  .record({
    packages: fc.tuple(...paymentIds.map(() => fc.constantFrom(...packageStars))),
    owners: fc.tuple(...paymentIds.map(() => user)),
    charges: fc.uniqueArray(text, { minLength: chargePoolSize, maxLength: chargePoolSize }),
    keys: fc.uniqueArray(text, { minLength: keyPoolSize, maxLength: keyPoolSize }),
    createdFirst: fc.subarray(paymentIds.map((_, index) => index)),
    waves: fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ createdFirst, waves, ...rest }) => ({
    ...rest,
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

/**
 * Admin requests racing: every payment is created and paid first (each with its own charge), then keyed refunds
 * and adjustments from a pool of two keys race, so a key is often sent again, for the same or another target.
 */
export const adminStory: fc.Arbitrary<Story> = fc
  .record({
    packages: fc.tuple(...paymentIds.map(() => fc.constantFrom(...packageStars))),
    owners: fc.tuple(...paymentIds.map(() => user)),
    charges: fc.uniqueArray(text, { minLength: chargePoolSize, maxLength: chargePoolSize }),
    keys: fc.uniqueArray(text, { minLength: keyPoolSize, maxLength: keyPoolSize }),
    waves: fc.array(fc.array(fc.oneof(adminRefundOp, adjustOp), { minLength: 2, maxLength: 8 }), {
      minLength: 1,
      maxLength: 3,
    }),
  })
  .map(({ waves, ...rest }) => ({
    ...rest,
    waves: [
      paymentIds.map((_, p): Op => ({ kind: "create", payment: p, otherUser: false, otherPackage: false, minute: 0 })),
      paymentIds.map((_, p): Op => ({
        kind: "pay",
        payment: p,
        charge: p,
        payer: "owner",
        wrongAmount: false,
        currency: "XTR",
        provider: "",
        minute: 1,
      })),
      ...waves,
    ],
  }));

/** A story's facts: each payment's package and owner, a user other than the given one, a charge id of the pool. */
export const starsOf = (s: Story, p: number): number => s.packages[p] ?? 10;
export const ownerOf = (s: Story, p: number): number => s.owners[p] ?? 101;
export const otherThan = (u: number): number => users.find((candidate) => candidate !== u) ?? 0;
export const chargeOf = (s: Story, c: number): string => s.charges[c] ?? "";
