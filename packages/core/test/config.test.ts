import { describe, expect, it } from "vitest";
import {
  creditPackages,
  durationSetting,
  findPackageById,
  findPackageByStars,
  flagSetting,
  ledgerConfig,
  parseDurationMs,
  positiveIntSetting,
} from "../src/index.js";

describe("the ledger's settings", () => {
  it("default to 10 credits per Star, 24 h to pay, a sweep every 30 s, and only the creator may pay", () => {
    expect(ledgerConfig.schema.parse({})).toEqual({
      STARS_TO_CREDITS_RATE: 10,
      PAYMENT_TTL: 24 * 60 * 60 * 1000,
      EXPIRY_SWEEP_INTERVAL: 30_000,
      REQUIRE_SAME_USER: true,
    });
    expect(ledgerConfig.secretNames).toEqual([]);
  });

  it("are read from text: a whole rate, durations with a unit, a flag", () => {
    expect(
      ledgerConfig.schema.parse({
        STARS_TO_CREDITS_RATE: "7",
        PAYMENT_TTL: "90m",
        EXPIRY_SWEEP_INTERVAL: "5s",
        REQUIRE_SAME_USER: "false",
      }),
    ).toEqual({
      STARS_TO_CREDITS_RATE: 7,
      PAYMENT_TTL: 90 * 60 * 1000,
      EXPIRY_SWEEP_INTERVAL: 5_000,
      REQUIRE_SAME_USER: false,
    });
  });
});

describe("the value parsers every package's settings use", () => {
  it("a duration is a whole number of ms, s, m, h or d, and is positive", () => {
    expect(parseDurationMs("1d")).toBe(86_400_000);
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("250")).toBe(250);
    expect(parseDurationMs("1.5h")).toBeUndefined();
    expect(durationSetting("24h").safeParse("0s").error?.issues[0]?.message).toBe(
      'expected a positive duration like "24h", "30m", "45s" or milliseconds',
    );
    expect(durationSetting("24h").parse("2h")).toBe(2 * 60 * 60 * 1000);
  });

  it("a flag is 1/true/yes/on or 0/false/no/off, and nothing else", () => {
    for (const yes of ["1", "true", "yes", "on"]) expect(flagSetting.parse(yes)).toBe(true);
    for (const no of ["0", "false", "no", "off"]) expect(flagSetting.parse(no)).toBe(false);
    expect(flagSetting.safeParse("maybe").error?.issues[0]?.message).toBe(
      'expected "1"/"true"/"yes"/"on" or "0"/"false"/"no"/"off"',
    );
  });

  it("a positive whole number names what it counts when it is refused", () => {
    expect(positiveIntSetting("connections").parse("12")).toBe(12);
    for (const bad of ["0", "-3", "1.5", "abc"]) {
      expect(positiveIntSetting("connections").safeParse(bad).error?.issues[0]?.message).toBe(
        "expected a positive whole number (connections)",
      );
    }
  });
});

describe("credit packages", () => {
  it("are the runbook's four packages, credits = Stars x rate", () => {
    expect(creditPackages().map((p) => [p.id, p.starsAmount, p.credits])).toEqual([
      ["pkg_100", 10, 100],
      ["pkg_250", 25, 250],
      ["pkg_500", 50, 500],
      ["pkg_1000", 100, 1000],
    ]);
    expect(creditPackages(3).map((p) => p.credits)).toEqual([30, 75, 150, 300]);
  });
  it("are found by id or by Stars amount", () => {
    expect(findPackageById("pkg_500")?.starsAmount).toBe(50);
    expect(findPackageByStars(25)?.id).toBe("pkg_250");
    expect(findPackageByStars(11)).toBeUndefined();
    expect(findPackageById("pkg_x")).toBeUndefined();
  });
});
