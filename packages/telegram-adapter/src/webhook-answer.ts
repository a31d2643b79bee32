import type { LedgerError, StarsLedger } from "@starledger/core";
import type { Result } from "neverthrow";
import type { LogFields, Logger } from "./logger.js";
import type { InvalidUpdate, TelegramUpdate, TelegramUser } from "./update-schemas.js";

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

/** Handles one kind of update: its events are durable before it returns ok. */
export type UpdateHandler<Kind extends TelegramUpdate["kind"]> = (
  update: Extract<TelegramUpdate, { kind: Kind }>,
) => Promise<Result<WebhookReply, WebhookError>>;

/** What a handler needs: the one ledger method it calls, the log, and the clock its commands are stamped with. */
export type UpdateHandlerDeps<Method extends keyof StarsLedger> = {
  readonly ledger: Pick<StarsLedger, Method>;
  readonly logger: Logger;
  readonly now: () => Date;
};

/** The log fields of an update about one charge (a successful or a refunded payment). */
export const chargeUpdateFields = (
  update: { readonly updateId: number; readonly from: TelegramUser | undefined },
  charge: { readonly invoicePayload: string; readonly telegramPaymentChargeId: string },
) => ({
  updateId: update.updateId,
  paymentId: charge.invoicePayload,
  userId: update.from?.id,
  chargeId: charge.telegramPaymentChargeId,
});

const storeUnavailable = (error: LedgerError): StoreUnavailableError => ({
  type: "StoreUnavailable",
  reason: error.type,
  message: "The update could not be recorded; Telegram will deliver it again",
});

const errorDetail = (error: LedgerError): string => ("message" in error ? error.message : error.type);

/** A ledger error as the webhook's answer: a data error is final (400), anything else asks Telegram to retry (503). */
export const notRecorded = (
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
