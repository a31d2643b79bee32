import { describe, expect, it } from "vitest";
import { parseDurationMs } from "@starledger/core";
import { parseConfig, settingNames } from "../src/index.js";

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

describe("configuration: the one list of settings", () => {
  it("defaults to MOCK on the embedded SQLite store at 127.0.0.1:8001", () => {
    const config = parseConfig({})._unsafeUnwrap();
    expect(config).toMatchObject({
      PAYMENT_MODE: "MOCK",
      EVENT_STORE_URL: "sqlite:./data/starledger.db",
      PORT: 8001,
      HOST: "127.0.0.1",
      STARS_TO_CREDITS_RATE: 10,
      PAYMENT_TTL: 24 * 60 * 60 * 1000,
      EXPIRY_SWEEP_INTERVAL: 30_000,
      PRE_CHECKOUT_ANSWER: "reply",
      REQUIRE_SAME_USER: true,
      ADMIN_USER_IDS: [],
      TELEGRAM_API_ROOT: "https://api.telegram.org",
      TELEGRAM_TEST_ENV: false,
      LOG_LEVEL: "info",
      ALLOW_INSECURE_WEBHOOK: false,
      INIT_DATA_MAX_AGE: 60 * 60 * 1000,
      SQLITE_SYNCHRONOUS: "FULL",
      POSTGRES_SCHEMA: "starledger",
      POSTGRES_POOL_SIZE: 10,
      POSTGRES_STATEMENT_TIMEOUT: 30_000,
    });
  });

  it("is the one list of every package's settings, each owned by one package", () => {
    expect([...settingNames].sort()).toEqual(
      [
        "PAYMENT_MODE",
        "MASTER_BOT_TOKEN",
        "WEBHOOK_SECRET",
        "ALLOW_INSECURE_WEBHOOK",
        "TELEGRAM_API_ROOT",
        "TELEGRAM_TEST_ENV",
        "PRE_CHECKOUT_ANSWER",
        "INIT_DATA_MAX_AGE",
        "STARS_TO_CREDITS_RATE",
        "PAYMENT_TTL",
        "EXPIRY_SWEEP_INTERVAL",
        "REQUIRE_SAME_USER",
        "EVENT_STORE_URL",
        "LOG_LEVEL",
        "SQLITE_SYNCHRONOUS",
        "POSTGRES_SCHEMA",
        "POSTGRES_POOL_SIZE",
        "POSTGRES_STATEMENT_TIMEOUT",
        "PORT",
        "HOST",
        "AUTH_SECRET",
        "ADMIN_USER_IDS",
      ].sort(),
    );
  });

  it("each store's settings are checked whichever store is chosen, with their own messages", () => {
    const error = parseConfig({
      EVENT_STORE_URL: "memory:",
      SQLITE_SYNCHRONOUS: "OFF",
      POSTGRES_SCHEMA: "Bad-Name",
      POSTGRES_POOL_SIZE: "0",
      POSTGRES_STATEMENT_TIMEOUT: "soon",
    })._unsafeUnwrapErr();
    expect(error.problems).toEqual([
      'SQLITE_SYNCHRONOUS: expected "FULL" (an acknowledged append is on disk) or "NORMAL", got "OFF"',
      'POSTGRES_SCHEMA: expected a lowercase SQL identifier of at most 48 characters, got "Bad-Name"',
      'POSTGRES_POOL_SIZE: expected a positive whole number (connections), got "0"',
      'POSTGRES_STATEMENT_TIMEOUT: expected a positive duration like "30s", "30m", "45s" or milliseconds, got "soon"',
    ]);
  });
});

describe("configuration: what is refused, and how it is said", () => {
  it("REAL without a token is the runbook's error", () => {
    const error = parseConfig({ PAYMENT_MODE: "REAL" })._unsafeUnwrapErr();
    expect(error.message).toBe("Payment system not configured: MASTER_BOT_TOKEN is not set");
  });

  it("REAL with a token is accepted", () => {
    expect(parseConfig({ PAYMENT_MODE: "REAL", MASTER_BOT_TOKEN: token })._unsafeUnwrap().MASTER_BOT_TOKEN).toBe(token);
  });

  it("each bad value gets one line naming the variable, what was expected and what was given", () => {
    const error = parseConfig({
      PAYMENT_MODE: "LIVE",
      PORT: "80a",
      STARS_TO_CREDITS_RATE: "-3",
      PAYMENT_TTL: "soon",
      EVENT_STORE_URL: "mysql://x",
      ADMIN_USER_IDS: "1,abc",
      TELEGRAM_TEST_ENV: "maybe",
      EXPIRY_SWEEP_INTERVAL: "0s",
    })._unsafeUnwrapErr();
    expect(error.problems).toHaveLength(8);
    expect(error.problems).toContain('PAYMENT_MODE: expected "REAL" or "MOCK", got "LIVE"');
    expect(error.problems).toContain('PORT: expected a port number 0-65535, got "80a"');
    expect(error.problems.find((p) => p.startsWith("STARS_TO_CREDITS_RATE:"))).toContain('got "-3"');
    expect(error.problems.find((p) => p.startsWith("PAYMENT_TTL:"))).toMatch(
      /expected a positive duration.*got "soon"/,
    );
    expect(error.problems.find((p) => p.startsWith("EVENT_STORE_URL:"))).toMatch(
      /sqlite:.*postgres:\/\/.*esdb:\/\/.*kurrentdb:\/\/.*memory:.*got "mysql:\/\/x"/,
    );
    expect(error.problems.find((p) => p.startsWith("ADMIN_USER_IDS:"))).toContain('got "1,abc"');
    expect(error.problems.find((p) => p.startsWith("TELEGRAM_TEST_ENV:"))).toContain('got "maybe"');
    expect(error.problems.find((p) => p.startsWith("EXPIRY_SWEEP_INTERVAL:"))).toMatch(
      /expected a positive duration.*got "0s"/,
    );
  });

  it("a value holding NUL or a lone surrogate is one line naming the variable, even where any text would do", () => {
    const error = parseConfig({
      EVENT_STORE_URL: "sqlite:./data/a\u0000.db",
      HOST: "127.0.0.1\ud800",
      AUTH_SECRET: `${"s".repeat(40)}\u0000`,
    })._unsafeUnwrapErr();
    expect(error.problems).toEqual([
      'EVENT_STORE_URL: must be well-formed Unicode text without NUL, got "sqlite:./data/a\\u0000.db"',
      'HOST: must be well-formed Unicode text without NUL, got "127.0.0.1\\ud800"',
      "AUTH_SECRET: must be well-formed Unicode text without NUL, got a value of 41 characters",
    ]);
  });

  it("never echoes a secret in an error", () => {
    const error = parseConfig({
      MASTER_BOT_TOKEN: "not-a-token-but-secret",
      AUTH_SECRET: "short-secret",
    })._unsafeUnwrapErr();
    expect(error.message).not.toContain("not-a-token-but-secret");
    expect(error.message).not.toContain("short-secret");
    expect(error.message).toContain("MASTER_BOT_TOKEN");
    expect(error.message).toContain("AUTH_SECRET: expected at least 32 characters, got a value of 12 characters");
  });

  it("parses lists, flags and durations; empty strings count as unset", () => {
    const config = parseConfig({
      ADMIN_USER_IDS: " 1, 22 ,333",
      TELEGRAM_TEST_ENV: "1",
      PAYMENT_TTL: "90m",
      EXPIRY_SWEEP_INTERVAL: "5s",
      PORT: "",
      REQUIRE_SAME_USER: "false",
    })._unsafeUnwrap();
    expect(config.ADMIN_USER_IDS).toEqual([1, 22, 333]);
    expect(config.TELEGRAM_TEST_ENV).toBe(true);
    expect(config.REQUIRE_SAME_USER).toBe(false);
    expect(config.PAYMENT_TTL).toBe(90 * 60 * 1000);
    expect(config.EXPIRY_SWEEP_INTERVAL).toBe(5_000);
    expect(config.PORT).toBe(8001);
    expect(parseDurationMs("1d")).toBe(86_400_000);
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("1.5h")).toBeUndefined();
  });
});
