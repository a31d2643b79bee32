import { propertyRuns, propertyTimeoutMs } from "@starledger/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoMillis } from "../src/iso-millis.js";

const defaultRuns = 5_000;
const numRuns = propertyRuns(defaultRuns);
const timeoutMs = propertyTimeoutMs(defaultRuns);

describe("isoMillis", () => {
  it(
    "reads every time toISOString writes exactly as Date.parse does",
    () => {
      fc.assert(
        fc.property(
          fc.date({
            min: new Date("0000-01-01T00:00:00.000Z"),
            max: new Date("9999-12-31T23:59:59.999Z"),
            noInvalidDate: true,
          }),
          (date) => {
            expect(isoMillis(date.toISOString())).toBe(date.getTime());
          },
        ),
        { numRuns },
      );
    },
    timeoutMs,
  );

  it(
    "agrees with Date.parse on edits of such a time: other characters, out-of-range fields, other forms",
    () => {
      const edited = fc
        .tuple(
          fc.date({
            min: new Date("0000-01-01T00:00:00.000Z"),
            max: new Date("9999-12-31T23:59:59.999Z"),
            noInvalidDate: true,
          }),
          fc.array(fc.tuple(fc.nat({ max: 23 }), fc.constantFrom(..."0123456789-:.TZz /+a".split(""))), {
            minLength: 1,
            maxLength: 3,
          }),
        )
        .map(([date, edits]) => {
          const characters = date.toISOString().split("");
          for (const [index, character] of edits) characters[index] = character;
          return characters.join("");
        });
      const other = fc.constantFrom(
        "2025-02-29T00:00:00.000Z",
        "2024-02-29T00:00:00.000Z",
        "2100-02-29T00:00:00.000Z",
        "2000-02-29T00:00:00.000Z",
        "2025-04-31T00:00:00.000Z",
        "2025-01-01T24:00:00.000Z",
        "2025-01-01T23:60:00.000Z",
        "2025-01-01T23:59:60.000Z",
        "2025-00-01T00:00:00.000Z",
        "2025-13-01T00:00:00.000Z",
        "2025-01-00T00:00:00.000Z",
        "0099-01-01T00:00:00.000Z",
        "0000-01-01T00:00:00.000Z",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.000+01:00",
        "+002025-01-01T00:00:00.000Z",
        "2025-01-01",
        "",
      );
      fc.assert(
        fc.property(fc.oneof(edited, other), (text) => {
          expect(Object.is(isoMillis(text), Date.parse(text)), text).toBe(true);
        }),
        { numRuns },
      );
    },
    timeoutMs,
  );
});
