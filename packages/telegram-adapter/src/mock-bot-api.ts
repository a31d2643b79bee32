import { createHash } from "node:crypto";
import { err, ok, type Result } from "neverthrow";
import { telegramError, type BotApiError, type BotApiMethod } from "./bot-api-errors.js";
import {
  webhookAllowedUpdates,
  type BotApi,
  type StarTransaction,
  type TransactionPartner,
  type WireParams,
} from "./bot-api.js";
import { buildBotApi } from "./build-bot-api.js";
import { silentLogger, type Logger } from "./logger.js";

/** The mock keeps the latest calls only, so a long-running MOCK server does not grow without bound. */
export const mockRecordedCallsMax = 1000;

export type BotApiCall = { readonly method: BotApiMethod; readonly params: WireParams };

export interface MockBotApi extends BotApi {
  readonly mode: "MOCK";
  /** Every call that passed validation, oldest first, with the parameters as they would be sent. */
  readonly calls: readonly BotApiCall[];
  /** What getStarTransactions will return (appended after earlier seeds). */
  seedStarTransactions(transactions: readonly StarTransaction[]): void;
  /** The next call of `method` answers {ok:false, error_code, description}. */
  failNext(method: BotApiMethod, failure: { errorCode: number; description: string; retryAfterSeconds?: number }): void;
}

/** A deterministic invoice link: the same payload gives the same link. */
export const mockInvoiceLink = (payload: string): string =>
  `https://t.me/$mock_invoice_${createHash("sha256").update(payload).digest("hex").slice(0, 24)}`;

const wirePartner = (partner: TransactionPartner | undefined): WireParams | undefined =>
  partner === undefined
    ? undefined
    : {
        type: partner.type,
        ...(partner.userId === undefined ? {} : { user: { id: partner.userId, is_bot: false, first_name: "Mock" } }),
        ...(partner.invoicePayload === undefined ? {} : { invoice_payload: partner.invoicePayload }),
      };

const wireTransaction = (t: StarTransaction): WireParams => ({
  id: t.id,
  amount: t.starsAmount,
  ...(t.nanostarAmount === 0 ? {} : { nanostar_amount: t.nanostarAmount }),
  date: Math.floor(t.date.getTime() / 1000),
  ...(t.source === undefined ? {} : { source: wirePartner(t.source) }),
  ...(t.receiver === undefined ? {} : { receiver: wirePartner(t.receiver) }),
});

const stringParam = (params: WireParams, name: string): string => {
  const value = params[name];
  return typeof value === "string" ? value : "";
};
const numberParam = (params: WireParams, name: string, fallback: number): number => {
  const value = params[name];
  return typeof value === "number" ? value : fallback;
};

/** PAYMENT_MODE=MOCK: no network. Validates like REAL, records calls, refuses a second refund of a charge like Telegram. */
export const createMockBotApi = (options: { logger?: Logger } = {}): MockBotApi => {
  const logger = options.logger ?? silentLogger;
  const calls: BotApiCall[] = [];
  const failures = new Map<BotApiMethod, { errorCode: number; description: string; retryAfterSeconds?: number }[]>();
  const transactions: StarTransaction[] = [];
  const refundedChargeIds = new Set<string>();
  let webhook: { url: string; allowedUpdates: readonly string[] } | undefined;

  const answer = (method: BotApiMethod, params: WireParams): Result<unknown, BotApiError> => {
    switch (method) {
      case "createInvoiceLink":
        return ok(mockInvoiceLink(stringParam(params, "payload")));
      case "answerPreCheckoutQuery":
        return ok(true);
      case "refundStarPayment": {
        const chargeId = stringParam(params, "telegram_payment_charge_id");
        if (refundedChargeIds.has(chargeId))
          return err(telegramError(method, 400, "Bad Request: CHARGE_ALREADY_REFUNDED"));
        refundedChargeIds.add(chargeId);
        return ok(true);
      }
      case "getStarTransactions": {
        const offset = numberParam(params, "offset", 0);
        const limit = numberParam(params, "limit", 100);
        return ok({ transactions: transactions.slice(offset, offset + limit).map(wireTransaction) });
      }
      case "getMyStarBalance": {
        const stars = transactions.reduce(
          (sum, t) =>
            sum + (t.source !== undefined ? t.starsAmount : 0) - (t.receiver !== undefined ? t.starsAmount : 0),
          0,
        );
        return ok({ amount: stars });
      }
      case "setWebhook": {
        const allowed = params.allowed_updates;
        webhook = {
          url: stringParam(params, "url"),
          allowedUpdates: Array.isArray(allowed) ? allowed.map(String) : webhookAllowedUpdates,
        };
        return ok(true);
      }
      case "getWebhookInfo":
        return ok({
          url: webhook?.url ?? "",
          has_custom_certificate: false,
          pending_update_count: 0,
          ...(webhook === undefined ? {} : { allowed_updates: webhook.allowedUpdates }),
        });
      case "deleteWebhook":
        webhook = undefined;
        return ok(true);
    }
  };

  const api = buildBotApi("MOCK", (method, params) => {
    calls.push({ method, params });
    if (calls.length > mockRecordedCallsMax) calls.shift();
    logger.info({ method, mode: "MOCK" }, "Bot API call skipped (MOCK mode)");
    const failure = failures.get(method)?.shift();
    if (failure !== undefined) {
      return Promise.resolve(
        err(telegramError(method, failure.errorCode, failure.description, failure.retryAfterSeconds)),
      );
    }
    return Promise.resolve(answer(method, params));
  });

  return {
    ...api,
    mode: "MOCK",
    calls,
    seedStarTransactions(seeded) {
      transactions.push(...seeded);
    },
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
  };
};
