import { describe, expect, it } from "vitest";
import { assertWebhookSecurity, secretTokenMatches } from "../src/index.js";

describe("assertWebhookSecurity", () => {
  it("refuses REAL mode without WEBHOOK_SECRET", () => {
    const checked = assertWebhookSecurity({
      PAYMENT_MODE: "REAL",
      WEBHOOK_SECRET: undefined,
      ALLOW_INSECURE_WEBHOOK: false,
    });
    expect(checked._unsafeUnwrapErr()).toMatchObject({
      type: "InsecureWebhook",
      message: expect.stringContaining("WEBHOOK_SECRET") as unknown,
    });
  });

  it("allows REAL mode without a secret only with ALLOW_INSECURE_WEBHOOK, with a warning to log", () => {
    const checked = assertWebhookSecurity({
      PAYMENT_MODE: "REAL",
      WEBHOOK_SECRET: undefined,
      ALLOW_INSECURE_WEBHOOK: true,
    });
    expect(checked._unsafeUnwrap().warning).toContain("ALLOW_INSECURE_WEBHOOK");
  });

  it("allows REAL mode with a secret and MOCK mode either way, without a warning", () => {
    expect(
      assertWebhookSecurity({
        PAYMENT_MODE: "REAL",
        WEBHOOK_SECRET: "abc",
        ALLOW_INSECURE_WEBHOOK: false,
      })._unsafeUnwrap(),
    ).toEqual({ warning: undefined });
    expect(
      assertWebhookSecurity({
        PAYMENT_MODE: "MOCK",
        WEBHOOK_SECRET: undefined,
        ALLOW_INSECURE_WEBHOOK: false,
      })._unsafeUnwrap(),
    ).toEqual({ warning: undefined });
  });
});

describe("secretTokenMatches", () => {
  it("matches only the exact secret, whatever the lengths", () => {
    expect(secretTokenMatches("abc_DEF-1", "abc_DEF-1")).toBe(true);
    expect(secretTokenMatches("abc_DEF-", "abc_DEF-1")).toBe(false);
    expect(secretTokenMatches("abc_DEF-12", "abc_DEF-1")).toBe(false);
    expect(secretTokenMatches("", "abc_DEF-1")).toBe(false);
    expect(secretTokenMatches(undefined, "abc_DEF-1")).toBe(false);
  });
});
