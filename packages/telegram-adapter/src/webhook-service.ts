import assert from "node:assert/strict";
import type { LedgerError, StarsLedger } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import type { BotApi } from "./bot-api.js";
import { logDebug, type LogFields, type Logger } from "./logger.js";
import { parseUpdate, type InvalidUpdate, type TelegramUpdate } from "./update-schemas.js";
import { preCheckoutCall, refundedPaymentCall, successfulPaymentCall } from "./update-translation.js";
import { secretTokenMatches } from "./webhook-security.js";

/** Telegram needs the pre-checkout answer within 10 s of sending the query. */
export const telegramPreCheckoutDeadlineMs = 10_000;
/** The share of those 10 s this service spends deciding; the rest is for the network. */
export const defaultPreCheckoutBudgetMs = 8_000;
/** The refusal when the decision could not be made in time or the store failed. */
export const preCheckoutUnavailableMessage = "Payment is temporarily unavailable, please try again";

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

/** A Bot API method call sent as the body of the 200 answer to the webhook request. */
export type AnswerPreCheckoutQueryReply = {
  readonly method: "answerPreCheckoutQuery";
  readonly pre_checkout_query_id: string;
  readonly ok: boolean;
  readonly error_message?: string;
};

/** `reply`: send `body` as JSON with 200. `ack`: send 200 with an empty JSON object. */
export type WebhookReply =
  { readonly kind: "reply"; readonly body: AnswerPreCheckoutQueryReply } | { readonly kind: "ack" };

export type BadSecret = { readonly type: "BadSecret"; readonly message: string };
/** The update could not be recorded: answer 503 so Telegram delivers it again (safe: charges are idempotent). */
export type StoreUnavailableError = {
  readonly type: "StoreUnavailable";
  readonly reason: string;
  readonly message: string;
};
/**
 * The ledger cannot store what the update holds (a store's InvalidEventData): final, so it is answered 400, not
 * 503, and Telegram does not redeliver it for ever. Nothing was recorded.
 */
export type UnstorableUpdate = { readonly type: "InvalidEventData"; readonly message: string };
export type WebhookError = InvalidUpdate | BadSecret | StoreUnavailableError | UnstorableUpdate;

/** The one place a webhook error becomes an HTTP status. */
export const webhookErrorStatus = (error: WebhookError): 400 | 401 | 503 => {
  switch (error.type) {
    case "InvalidUpdate":
    case "InvalidEventData":
      return 400;
    case "BadSecret":
      return 401;
    case "StoreUnavailable":
      return 503;
  }
};

export const webhookErrorBody = (error: WebhookError): { error: WebhookError["type"]; message: string } => ({
  error: error.type,
  message: error.message,
});

export type WebhookService = {
  handle(request: { secretToken: string | undefined; body: unknown }): Promise<Result<WebhookReply, WebhookError>>;
};

type Settled<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: true; readonly thrown: unknown }
  | { readonly done: false };

/** Waits for `work` at most `budgetMs`; never rejects, so work that finishes late cannot become an unhandled rejection. */
const withinBudget = async <T>(work: Promise<T>, budgetMs: number): Promise<Settled<T>> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(
      () => {
        resolve({ done: false });
      },
      Math.max(0, budgetMs),
    );
  });
  const settled = work.then(
    (value): Settled<T> => ({ done: true, value }),
    (thrown: unknown): Settled<T> => ({ done: true, thrown }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
};

const storeUnavailable = (error: LedgerError): StoreUnavailableError => ({
  type: "StoreUnavailable",
  reason: error.type,
  message: "The update could not be recorded; Telegram will deliver it again",
});

const errorDetail = (error: LedgerError): string => ("message" in error ? error.message : error.type);

/** A ledger error as the webhook's answer: a data error is final (400), anything else asks Telegram to retry (503). */
const notRecorded = (
  kind: "successful_payment" | "refunded_payment",
  error: LedgerError,
  fields: LogFields,
  logger: Logger,
): WebhookError => {
  const detail = errorDetail(error);
  if (error.type === "InvalidEventData") {
    logger.error(
      { ...fields, error: error.type, detail },
      `Could not record ${kind}: the ledger cannot store its data; answering 400`,
    );
    return {
      type: "InvalidEventData",
      message: `The update holds data the ledger cannot store; nothing was recorded: ${detail}`,
    };
  }
  logger.error({ ...fields, error: error.type, detail }, `Could not record ${kind}; answering 503`);
  return storeUnavailable(error);
};

type PreCheckoutAnswer = { readonly ok: true } | { readonly ok: false; readonly errorMessage: string };

export const createWebhookService = (deps: WebhookServiceDeps): WebhookService => {
  const { ledger, botApi, logger, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const budgetMs = settings.preCheckoutBudgetMs ?? defaultPreCheckoutBudgetMs;
  assert.ok(
    budgetMs > 0 && budgetMs < telegramPreCheckoutDeadlineMs,
    "preCheckoutBudgetMs must be within Telegram's 10 s",
  );

  const preCheckout = async (
    update: Extract<TelegramUpdate, { kind: "pre_checkout_query" }>,
  ): Promise<Result<WebhookReply, WebhookError>> => {
    const call = preCheckoutCall(update, now());
    const startedMs = Date.now();
    const query = update.preCheckoutQuery;
    const fields = {
      updateId: update.updateId,
      queryId: query.id,
      paymentId: query.invoicePayload,
      userId: query.from.id,
    };
    const decided = await withinBudget(ledger.answerPreCheckout(call.input, call.context), budgetMs);

    // A refusal answered with 200 beats a 503: a retried pre-checkout would arrive after Telegram's 10 s deadline.
    let answer: PreCheckoutAnswer = { ok: false, errorMessage: preCheckoutUnavailableMessage };
    if (!decided.done) {
      logger.warn({ ...fields, budgetMs }, "Pre-checkout refused: not decided within the budget");
    } else if ("thrown" in decided) {
      logger.error({ ...fields, err: decided.thrown }, "Pre-checkout refused: unexpected error");
    } else if (decided.value.isOk()) {
      answer = { ok: true };
      logger.info({ ...fields, starsAmount: query.totalAmount }, "Pre-checkout approved");
    } else if (decided.value.error.type === "PreCheckoutRefused") {
      answer = { ok: false, errorMessage: decided.value.error.errorMessage };
      logger.info({ ...fields, reason: decided.value.error.reason }, "Pre-checkout refused");
    } else {
      logger.error(
        { ...fields, error: decided.value.error.type },
        "Pre-checkout refused: payments temporarily unavailable",
      );
    }

    const reply: WebhookReply = {
      kind: "reply",
      body: {
        method: "answerPreCheckoutQuery",
        pre_checkout_query_id: query.id,
        ok: answer.ok,
        ...(answer.ok ? {} : { error_message: answer.errorMessage }),
      },
    };
    if (settings.preCheckoutAnswer === "reply") return ok(reply);

    const remainingMs = budgetMs - (Date.now() - startedMs);
    const sent =
      remainingMs > 0
        ? await withinBudget(
            botApi.answerPreCheckoutQuery({
              preCheckoutQueryId: query.id,
              ok: answer.ok,
              ...(answer.ok ? {} : { errorMessage: answer.errorMessage }),
            }),
            remainingMs,
          )
        : ({ done: false } as const);
    if (sent.done && "value" in sent && sent.value.isOk()) return ok({ kind: "ack" });
    const failure = !sent.done
      ? "no answer within the budget"
      : "value" in sent && sent.value.isErr()
        ? sent.value.error.message
        : "threw";
    logger.warn({ ...fields, failure }, "answerPreCheckoutQuery failed; answering in the webhook reply instead");
    return ok(reply);
  };

  const successfulPayment = async (
    update: Extract<TelegramUpdate, { kind: "successful_payment" }>,
  ): Promise<Result<WebhookReply, WebhookError>> => {
    const call = successfulPaymentCall(update, now());
    const payment = update.successfulPayment;
    const fields = {
      updateId: update.updateId,
      paymentId: payment.invoicePayload,
      userId: update.from?.id,
      chargeId: payment.telegramPaymentChargeId,
    };
    const recorded = await ledger.recordSuccessfulPayment(call.input, call.context);
    if (recorded.isErr()) return err(notRecorded("successful_payment", recorded.error, fields, logger));
    const outcome = recorded.value;
    switch (outcome.kind) {
      case "paid":
        logger.info(
          {
            ...fields,
            userId: outcome.payment.userId,
            credits: outcome.payment.credits,
            starsAmount: payment.totalAmount,
          },
          "Payment processed successfully",
        );
        break;
      case "duplicate":
        logger.info({ ...fields, userId: outcome.payment.userId }, "Duplicate successful_payment ignored");
        break;
      case "uncredited": {
        const mismatch = outcome.reason === "amount_mismatch" || outcome.reason === "currency_mismatch";
        const detail = {
          ...fields,
          userId: update.from?.id ?? outcome.payment.userId,
          reason: outcome.reason,
          starsAmount: payment.totalAmount,
          currency: payment.currency,
        };
        if (mismatch) logger.warn(detail, "Payment marked as failed");
        else logger.warn(detail, "Extra charge on a paid invoice; it will be refunded");
        break;
      }
      case "unmatched":
        logger.warn(
          { ...fields, paymentId: undefined, invoicePayload: payment.invoicePayload, starsAmount: payment.totalAmount },
          "Unmatched charge received; it will be refunded",
        );
        break;
      case "conflict":
        // The charge id is another payment's (or an unmatched charge's): crediting or refunding it here would be
        // a second use of one Telegram charge. Answered 200: a redelivery would decide the same.
        logger.error(
          { ...fields, ownerUserId: outcome.payment?.userId, starsAmount: payment.totalAmount },
          "Charge already recorded on another payment; not credited",
        );
        break;
    }
    return ok({ kind: "ack" });
  };

  const refundedPayment = async (
    update: Extract<TelegramUpdate, { kind: "refunded_payment" }>,
  ): Promise<Result<WebhookReply, WebhookError>> => {
    const call = refundedPaymentCall(update, now());
    const refund = update.refundedPayment;
    const fields = {
      updateId: update.updateId,
      paymentId: refund.invoicePayload,
      userId: update.from?.id,
      chargeId: refund.telegramPaymentChargeId,
    };
    const recorded = await ledger.recordRefundedPayment(call.input, call.context);
    if (recorded.isOk()) {
      if (recorded.value.position === undefined) logger.info(fields, "Duplicate refunded_payment ignored");
      else logger.info({ ...fields, starsAmount: refund.totalAmount }, "Payment refunded by Telegram");
      return ok({ kind: "ack" });
    }
    if (recorded.error.type === "UnknownCharge") {
      // Every refund this system makes is of a recorded charge, so this is an anomaly; a 503 would only stall
      // Telegram's queue of updates behind it. Reconciliation against getStarTransactions finds it.
      logger.error(fields, "Refund of an unknown charge; left for reconciliation");
      return ok({ kind: "ack" });
    }
    return err(notRecorded("refunded_payment", recorded.error, fields, logger));
  };

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
