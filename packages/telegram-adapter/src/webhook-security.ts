import { createHash, timingSafeEqual } from "node:crypto";
import { err, ok, type Result } from "neverthrow";
import type { TelegramConfig } from "./config.js";

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Constant-time comparison of the X-Telegram-Bot-Api-Secret-Token header with the configured secret.
 * Both sides are hashed first, so the buffers have equal length and the secret's length is not leaked.
 */
export const secretTokenMatches = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(sha256(given), sha256(expected));

export type InsecureWebhook = { readonly type: "InsecureWebhook"; readonly message: string };

/**
 * Start-up check for the server: in REAL mode the webhook must have a WEBHOOK_SECRET, unless
 * ALLOW_INSECURE_WEBHOOK says otherwise (then the ok value carries a warning to log). MOCK mode may run without
 * one, so the runbook's curl simulation works.
 */
export const assertWebhookSecurity = (
  config: Pick<TelegramConfig, "PAYMENT_MODE" | "WEBHOOK_SECRET" | "ALLOW_INSECURE_WEBHOOK">,
): Result<{ readonly warning: string | undefined }, InsecureWebhook> => {
  if (config.WEBHOOK_SECRET !== undefined || config.PAYMENT_MODE === "MOCK") return ok({ warning: undefined });
  if (config.ALLOW_INSECURE_WEBHOOK) {
    return ok({
      warning:
        "WEBHOOK_SECRET is not set: POST /master/webhook accepts updates from anyone (ALLOW_INSECURE_WEBHOOK=true)",
    });
  }
  return err({
    type: "InsecureWebhook",
    message:
      "PAYMENT_MODE=REAL needs WEBHOOK_SECRET, so that only Telegram can post to /master/webhook " +
      "(pass it to setWebhook as secret_token); set ALLOW_INSECURE_WEBHOOK=true to run without it",
  });
};
