import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkStorable, isWellFormedText, wellFormedText, type NewEvent } from "../src/index.js";
import { propertyRuns } from "../src/testing/index.js";

/** fast-check's own default; FC_NUM_RUNS (npm run test:deep) raises it. */
const numRuns = propertyRuns(100);

/** Any UTF-16 code unit, so lone surrogates and NUL come up often. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const anyUtf16 = fc.string({ unit: fc.oneof(codeUnit, fc.constantFrom("\ud800", "\udfff", "\u0000", "😀")) });

describe("well-formed text", () => {
  it.each([
    ["plain ASCII", "test_charge_123", true],
    ["the empty string", "", true],
    ["a surrogate pair (an emoji)", "pay 😀", true],
    ["other control characters", "a\u0001\t\n", true],
    ["a lone high surrogate", "c\ud800", false],
    ["a lone low surrogate", "\udc00c", false],
    ["a pair in the wrong order", "\udc00\ud800", false],
    ["NUL", "c\u0000", false],
  ])("%s: %s", (_what, text, accepted) => {
    expect(isWellFormedText(text)).toBe(accepted);
  });

  it("is exactly the text that survives a UTF-8 round trip and holds no NUL", () => {
    fc.assert(
      fc.property(anyUtf16, (text) => {
        const survives = Buffer.from(text, "utf8").toString("utf8") === text;
        expect(isWellFormedText(text)).toBe(survives && !text.includes("\u0000"));
      }),
      { numRuns },
    );
  });

  it("the zod helper refuses it with one clear message and keeps the field's own checks", () => {
    const schema = wellFormedText().max(4);
    expect(schema.safeParse("ok").success).toBe(true);
    expect(schema.safeParse("c\ud800").error?.issues.map((i) => i.message)).toEqual([
      "must be well-formed Unicode text without NUL",
    ]);
    expect(schema.safeParse("too long").success).toBe(false);
  });
});

describe("checkStorable: what every store checks before it writes", () => {
  const event = (over: Partial<NewEvent> = {}): NewEvent => ({
    id: "9b1f6f3e-0a7c-4c1e-8f5e-2d3c4b5a6978",
    type: "PaymentPaid",
    data: { telegramPaymentChargeId: "c1", list: ["a", { deep: "b" }] },
    metadata: { schemaVersion: 1, correlationId: "x" },
    ...over,
  });

  it("accepts well-formed text everywhere", () => {
    expect(checkStorable("payment-1", [event(), event()]).isOk()).toBe(true);
  });

  it("names the first field that is not, escaped, and says nothing was written", () => {
    const refused = checkStorable("payment-1", [
      event(),
      event({ data: { list: ["a", { deep: "b\ud800" }] } }),
    ])._unsafeUnwrapErr();
    expect(refused).toEqual({
      type: "InvalidEventData",
      stream: "payment-1",
      field: "events[1].data.list[1].deep",
      message:
        'events[1].data.list[1].deep of an event for "payment-1" must be well-formed Unicode text without NUL; nothing was written',
    });
    const badStream = checkStorable("unmatched-charge-c\ud800")._unsafeUnwrapErr();
    expect(badStream.field).toBe("stream");
    expect(badStream.message).toBe(
      'The stream name "unmatched-charge-c\\ud800" must be well-formed Unicode text without NUL; nothing was written',
    );
    expect(isWellFormedText(badStream.message)).toBe(true);
  });

  it("finds an ill-formed key or value at any depth of data or metadata", () => {
    const clean = fc.jsonValue({ stringUnit: "grapheme-ascii" });
    fc.assert(
      fc.property(clean, anyUtf16, fc.constantFrom("key", "value"), fc.boolean(), (value, text, as, inMetadata) => {
        const nested = { list: [value, as === "key" ? { [text]: 1 } : { text }] };
        const checked = checkStorable("s", [
          inMetadata ? event({ metadata: { schemaVersion: 1, nested } }) : event({ data: nested }),
        ]);
        expect(checked.isOk()).toBe(isWellFormedText(text));
        if (checked.isErr())
          expect(checked.error.field).toMatch(
            inMetadata ? /^events\[0\]\.metadata\.nested\.list\[1\]/ : /^events\[0\]\.data\.list\[1\]/,
          );
      }),
      { numRuns },
    );
  });
});
