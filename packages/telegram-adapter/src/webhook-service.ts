import assert from "node:assert/strict";
import type { StarsLedger } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import type { BotApi } from "./bot-api.js";
import { logDebug, type Logger } from "./logger.js";
import { preCheckoutHandler } from "./pre-checkout-update.js";
import { refundedPaymentHandler } from "./refunded-payment-update.js";
import { successfulPaymentHandler } from "./successful-payment-update.js";
import { parseUpdate } from "./update-schemas.js";
import type { WebhookError, WebhookReply } from "./webhook-answer.js";
import { secretTokenMatches } from "./webhook-security.js";

/** Telegram needs the pre-checkout answer within 10 s of sending the query. */
export const telegramPreCheckoutDeadlineMs = 10_000;
/** The share of those 10 s this service spends deciding; the rest is for the network. */
export const defaultPreCheckoutBudgetMs = 8_000;

export type WebhookServiceSettings = {
  /** WEBHOOK_SECRET; when unset every request is accepted (MOCK runbook flow; REAL is gated by assertWebhookSecurity). */
  readonly webhookSecret?: string;
  /** PRE_CHECKOUT_ANSWER: answer in the webhook reply (default) or with a separate answerPreCheckoutQuery call. */
  readonly preCheckoutAnswer: "reply" | "api";
  readonly preCheckoutBudgetMs?: number;
};

export type WebhookServiceDeps = {
  readonly ledger: Pick<StarsLedger, "answerPreCheckout" | "recordSuccessfulPayment" | "recordRefundedPayment">;
  readonly botApi: Pick<BotApi, "answerPreCheckoutQuery">;
  readonly logger: Logger;
  readonly settings: WebhookServiceSettings;
  readonly now?: () => Date;
};

export type WebhookService = {
  handle(request: { secretToken: string | undefined; body: unknown }): Promise<Result<WebhookReply, WebhookError>>;
};

/** The webhook: checks the secret, parses the update at the edge, and hands it to the handler of its kind. */
export const createWebhookService = (deps: WebhookServiceDeps): WebhookService => {
  const { ledger, botApi, logger, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const budgetMs = settings.preCheckoutBudgetMs ?? defaultPreCheckoutBudgetMs;
  assert.ok(
    budgetMs > 0 && budgetMs < telegramPreCheckoutDeadlineMs,
    "preCheckoutBudgetMs must be within Telegram's 10 s",
  );

  const preCheckout = preCheckoutHandler({
    ledger,
    botApi,
    logger,
    now,
    budgetMs,
    answerVia: settings.preCheckoutAnswer,
  });
  const successfulPayment = successfulPaymentHandler({ ledger, logger, now });
  const refundedPayment = refundedPaymentHandler({ ledger, logger, now });

  return {
    async handle({ secretToken, body }) {
      if (settings.webhookSecret !== undefined && !secretTokenMatches(secretToken, settings.webhookSecret)) {
        logger.warn({ secretTokenPresent: secretToken !== undefined }, "Webhook request refused: bad secret token");
        return err({ type: "BadSecret", message: "Missing or wrong X-Telegram-Bot-Api-Secret-Token" });
      }
      const parsed = parseUpdate(body);
      if (parsed.isErr()) {
        logger.warn({ detail: parsed.error.message }, "Webhook request refused: not a valid update");
        return err(parsed.error);
      }
      const update = parsed.value;
      switch (update.kind) {
        case "pre_checkout_query":
          return preCheckout(update);
        case "successful_payment":
          return successfulPayment(update);
        case "refunded_payment":
          return refundedPayment(update);
        case "ignored":
          logDebug(logger, { updateId: update.updateId }, "Update ignored");
          return ok({ kind: "ack" });
      }
    },
  };
};
