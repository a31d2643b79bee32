import {
  currentSchemaVersion,
  ledgerEventDataJsonSchemas,
  parseLedgerEvent,
  type LedgerEvent,
  type LedgerEventType,
} from "@starledger/core";
import { propertyRuns, propertyTimeoutMs } from "@starledger/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptInPlace } from "../src/compiled-event-parser.js";
import {
  adjusted,
  approved,
  chargeConflict,
  created,
  extraCharge,
  extraChargeRefunded,
  failed,
  invoiceIssued,
  paid,
  refunded,
  unmatchedCharge,
  unmatchedChargeRefunded,
} from "./fixtures.js";

/** What the decoder does: the fast path, else core's parser. */
const parseLedgerEventFast = (
  type: string,
  data: unknown,
  schemaVersion: number,
): ReturnType<typeof parseLedgerEvent> => {
  const event = acceptInPlace(type, data, schemaVersion);
  return event === undefined ? parseLedgerEvent(type, data, schemaVersion) : { ok: true, event };
};

/** One valid event of every type, with the optional fields both present and absent. */
const samples: readonly LedgerEvent[] = [
  created(1),
  invoiceIssued(1),
  approved(1),
  paid(1),
  { type: "PaymentPaid", data: { ...paid(2).data, payerTelegramUserId: 3003 } },
  failed(1),
  refunded(1),
  refunded(2, { admin: "admin-1" }),
  refunded(3, { admin: "admin-1", idempotencyKey: "ticket-42" }),
  ...[{}, { idempotencyKey: "ticket-42" }].map((key): LedgerEvent => ({
    type: "RefundRequested",
    data: {
      paymentId: paid(1).data.paymentId,
      telegramPaymentChargeId: paid(1).data.telegramPaymentChargeId,
      telegramUserId: 3003,
      starsAmount: 10,
      admin: "admin-1",
      ...key,
      requestedAt: refunded(1).data.refundedAt,
    },
  })),
  extraCharge(1, "charge-x"),
  extraChargeRefunded(1, "charge-x"),
  chargeConflict(2, "charge-x"),
  { type: "ChargeConflictRecorded", data: { ...chargeConflict(3, "charge-x").data, telegramUserId: undefined } },
  adjusted(1001, -5),
  { type: "CreditsAdjusted", data: { ...adjusted(1001, 5).data, idempotencyKey: "ticket-42" } },
  unmatchedCharge("charge-u"),
  { type: "UnmatchedChargeRefunded", data: unmatchedChargeRefunded("charge-u").data },
  { type: "UnmatchedChargeReceived", data: { ...unmatchedCharge("charge-v").data, telegramUserId: undefined } },
];

const ledgerTypes = Object.keys(currentSchemaVersion) as LedgerEventType[];
/** null nine times in ten. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
const copy = (data: object): Record<string, unknown> => ({ ...data });

/** Edited events per run of the agreement property; FC_NUM_RUNS (npm run test:deep) raises it. */
const defaultRuns = 1_000;
describe("ledgerEventDataJsonSchemas", () => {
  it("gives every ledger type a closed object schema, so the compiled validators accept no key zod would strip", () => {
    const schemas = ledgerEventDataJsonSchemas();
    expect(Object.keys(schemas).sort()).toEqual([...ledgerTypes].sort());
    for (const type of ledgerTypes) {
      expect(schemas[type], type).toMatchObject({ type: "object", additionalProperties: false });
    }
  });
});

describe("acceptInPlace, then parseLedgerEvent", () => {
  it("has a sample of every ledger type (so the cases below cover them all)", () => {
    expect(new Set(samples.map((event) => event.type))).toEqual(new Set(ledgerTypes));
  });

  it("accepts a valid event of every type in place, without the copy zod makes", () => {
    for (const sample of samples) {
      const data = copy(sample.data);
      const parsed = parseLedgerEventFast(sample.type, data, 1);
      expect(parsed.ok, sample.type).toBe(true);
      // The same object back: the compiled validator, not zod, decided.
      if (parsed.ok) expect(parsed.event.data, sample.type).toBe(data);
      expect(parseLedgerEvent(sample.type, data, 1)).toEqual(parsed);
    }
  });

  it("leaves an unknown key to zod, which strips it, as before", () => {
    const data = { ...paid(1).data, note: "added by hand" };
    const parsed = parseLedgerEventFast("PaymentPaid", data, 1);
    expect(parsed).toEqual({ ok: true, event: paid(1) });
    if (parsed.ok) expect(parsed.event.data).not.toBe(data);
  });

  it("words a rejection exactly as parseLedgerEvent does", () => {
    const cases: [string, unknown, number][] = [
      ["PaymentPaid", { ...paid(1).data, totalAmount: 0 }, 1],
      ["PaymentCreated", { ...created(1).data, paymentId: "not-a-uuid" }, 1],
      ["PaymentFailed", { ...failed(1).data, failedAt: "2025-02-29T00:00:00Z" }, 1],
      // 257 code points: zod counts code points, not UTF-16 units (200 emoji, 400 units, would pass).
      ["PaymentPaid", { ...paid(1).data, telegramPaymentChargeId: "😀".repeat(257) }, 1],
      ["PaymentPaid", "not an object", 1],
      ["PaymentPaid", paid(1).data, 2],
      ["PaymentPaid", paid(1).data, 0],
      ["SomethingElse", paid(1).data, 1],
    ];
    for (const [type, data, version] of cases) {
      const fast = parseLedgerEventFast(type, data, version);
      expect(fast.ok, `${type} ${JSON.stringify(data)}`).toBe(false);
      expect(fast).toEqual(parseLedgerEvent(type, data, version));
    }
  });

  it(
    "agrees with parseLedgerEvent on any edit of a valid event, and whatever it accepts in place, zod accepts unchanged",
    () => {
      const numRuns = propertyRuns(defaultRuns);
      const keys = [
        ...new Set(samples.flatMap((event) => Object.keys(event.data))),
        "note",
        "__proto__",
        "constructor",
      ];
      const validValues = samples.flatMap((event) => Object.values(event.data));
      const value = fc.oneof(
        // Another sample's value, often valid for the key it lands on.
        { weight: 4, arbitrary: fc.constantFrom(...validValues) },
        fc.anything(),
        fc.string({ unit: "binary", maxLength: 40 }),
        // Around the 256 code point limit of a charge id, as UTF-16 pairs and single units.
        fc.array(fc.constantFrom("😀", "a"), { minLength: 250, maxLength: 260 }).map((units) => units.join("")),
        fc.string({ minLength: 250, maxLength: 260 }),
        fc.integer(),
        fc.double(),
        fc.constantFrom(
          0,
          -0,
          1,
          -1,
          0.5,
          Number.MAX_SAFE_INTEGER,
          Number.MAX_SAFE_INTEGER + 1,
          2 ** 53 + 2,
          1e21,
          Number.NaN,
          Infinity,
          -Infinity,
        ),
        fc.constantFrom(
          "2024-02-29T00:00:00Z",
          "2025-02-29T00:00:00Z",
          "2025-01-01T00:00:00+05:30",
          "2025-01-01T00:00:00",
          "2025-01-01 00:00:00Z",
          "2025-01-01T24:00:00Z",
          "2025-01-01T00:00:00.123456789Z",
          "2025-01-01t00:00:00z",
          "00000000-0000-0000-0000-000000000000",
          "ffffffff-ffff-ffff-ffff-ffffffffffff",
          "00000000-0000-4000-8000-00000000000g",
          "00000000-0000-9000-8000-000000000001",
          "",
          "admin",
          "telegram",
          "expired",
          "invoice_already_paid",
          "XTR",
        ),
        fc.uuid(),
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      );
      const edit = fc.oneof(
        fc.record({ set: fc.constantFrom(...keys), value }),
        fc.record({ remove: fc.constantFrom(...keys) }),
      );
      const story = fc.record({
        sample: fc.constantFrom(...samples),
        otherType: rarely(fc.constantFrom(...ledgerTypes)),
        edits: fc.oneof(fc.constant([]), fc.array(edit, { minLength: 1, maxLength: 3 })),
        wholeValue: rarely(value),
        throughJson: fc.boolean(),
      });

      const seen = { inPlace: 0, zodOnly: 0, rejected: 0 };
      fc.assert(
        fc.property(story, ({ sample, otherType, edits, wholeValue, throughJson }) => {
          const type = otherType ?? sample.type;
          let data: unknown = copy(sample.data);
          for (const change of edits) {
            const target = data as Record<string, unknown>;
            if ("set" in change)
              Object.defineProperty(target, change.set, {
                value: change.value,
                enumerable: true,
                writable: true,
                configurable: true,
              });
            else Reflect.deleteProperty(target, change.remove);
          }
          if (wholeValue !== null) data = wholeValue;
          // As a store hands it over: JSON-parsed (no undefined, NaN or -0 left), or as written, for the in-memory store.
          if (throughJson) {
            // undefined at the top stringifies to undefined, not to text.
            const text = JSON.stringify(data) as string | undefined;
            data = text === undefined ? null : (JSON.parse(text) as unknown);
          }

          const fast = parseLedgerEventFast(type, data, 1);
          // Same verdict, same error wording; and when the fast path kept the data in place, zod's own output
          // holds the very same facts: nothing zod would strip or reject was let through.
          expect(fast).toEqual(parseLedgerEvent(type, data, 1));
          if (fast.ok && fast.event.data === data) seen.inPlace++;
          else if (fast.ok) seen.zodOnly++;
          else seen.rejected++;
        }),
        { numRuns },
      );
      // Not vacuous: the fast path decided often, and both fallbacks were exercised (about 1/6, 1/30, 1/10 of runs).
      expect(seen.inPlace).toBeGreaterThan(numRuns / 6);
      expect(seen.zodOnly).toBeGreaterThan(numRuns / 30);
      expect(seen.rejected).toBeGreaterThan(numRuns / 10);
    },
    propertyTimeoutMs(defaultRuns),
  );
});
