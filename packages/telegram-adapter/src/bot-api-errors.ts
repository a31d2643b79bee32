/** The Bot API methods this package calls. */
export const botApiMethods = [
  "createInvoiceLink",
  "answerPreCheckoutQuery",
  "refundStarPayment",
  "getStarTransactions",
  "getMyStarBalance",
  "setWebhook",
  "getWebhookInfo",
  "deleteWebhook",
] as const;
export type BotApiMethod = (typeof botApiMethods)[number];

/**
 * Whether a call may be sent again after a 5xx, a timeout or a network error, when Telegram may already
 * have executed it. A 429 is always retried: Telegram did not execute the call.
 */
export const repeatSafeMethods: Readonly<Record<BotApiMethod, boolean>> = {
  // A second link for the same payload is harmless: only one payment stream exists, and any charge is keyed by its charge id.
  createInvoiceLink: true,
  // Answering the same query twice: Telegram keeps the first answer and refuses the second.
  answerPreCheckoutQuery: true,
  // Telegram refuses a second refund of the same charge (CHARGE_ALREADY_REFUNDED), which callers treat as done.
  refundStarPayment: true,
  getStarTransactions: true,
  getMyStarBalance: true,
  setWebhook: true,
  getWebhookInfo: true,
  deleteWebhook: true,
};

export type BotApiError =
  /** The parameters break a documented rule; nothing was sent. */
  | { readonly type: "InvalidRequest"; readonly method: BotApiMethod; readonly message: string }
  /** REAL mode without MASTER_BOT_TOKEN; nothing was sent. */
  | { readonly type: "NotConfigured"; readonly method: BotApiMethod; readonly message: string }
  /** Telegram answered {ok:false}. */
  | {
      readonly type: "TelegramError";
      readonly method: BotApiMethod;
      readonly errorCode: number;
      readonly description: string;
      readonly retryAfterSeconds: number | undefined;
      readonly message: string;
    }
  | { readonly type: "Timeout"; readonly method: BotApiMethod; readonly timeoutMs: number; readonly message: string }
  | { readonly type: "NetworkError"; readonly method: BotApiMethod; readonly message: string }
  /** An answer that is not the Bot API's JSON envelope, or whose result has an unexpected shape. */
  | {
      readonly type: "BadResponse";
      readonly method: BotApiMethod;
      readonly httpStatus: number | undefined;
      readonly message: string;
    };

export const telegramError = (
  method: BotApiMethod,
  errorCode: number,
  description: string,
  retryAfterSeconds?: number,
): BotApiError => ({
  type: "TelegramError",
  method,
  errorCode,
  description,
  retryAfterSeconds,
  message: `Telegram refused ${method}: ${errorCode} ${description}`,
});

/** Telegram's answer to a second refund of the same charge: the money is back with the user, so the refund is done. */
export const isChargeAlreadyRefunded = (error: BotApiError): boolean =>
  error.type === "TelegramError" && /CHARGE_ALREADY_REFUNDED/i.test(error.description);

/** Worth retrying later: the call may succeed if sent again (rate limit, server error, timeout, network). */
export const isTransientBotApiError = (error: BotApiError): boolean => {
  switch (error.type) {
    case "TelegramError":
      return error.errorCode === 429 || error.errorCode >= 500;
    case "Timeout":
    case "NetworkError":
      return true;
    case "BadResponse":
      return error.httpStatus !== undefined && error.httpStatus >= 500;
    case "InvalidRequest":
    case "NotConfigured":
      return false;
  }
};
