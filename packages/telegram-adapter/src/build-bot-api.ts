import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { BotApiError, BotApiMethod } from "./bot-api-errors.js";
import {
  defaultStarTransactionPagesMax,
  starTransactionsPageSizeMax,
  webhookAllowedUpdates,
  type BotApi,
  type BotApiTransport,
  type StarTransaction,
  type WireParams,
} from "./bot-api.js";
import {
  AnswerPreCheckoutSchema,
  invalidRequest,
  InvoiceSchema,
  RefundSchema,
  results,
  SetWebhookSchema,
  TransactionsPageSchema,
  wire,
} from "./bot-api-wire.js";

/** Sends one call and checks its result against `schema`: a result of another shape is a BadResponse. */
const send = async <S extends z.ZodType>(
  transport: BotApiTransport,
  method: BotApiMethod,
  params: WireParams,
  schema: S,
): Promise<Result<z.output<S>, BotApiError>> => {
  const answered = await transport(method, params);
  if (answered.isErr()) return err(answered.error);
  const parsed = schema.safeParse(answered.value);
  if (!parsed.success) {
    return err({
      type: "BadResponse",
      method,
      httpStatus: undefined,
      message: `${method}: unexpected result: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, "; ")}`.slice(
        0,
        500,
      ),
    });
  }
  return ok(parsed.data);
};

/** Checks the parameters before anything is sent (an InvalidRequest names each bad one), then sends them as `toWire` shapes them. */
const sendValidated = async <P extends z.ZodType, S extends z.ZodType>(
  transport: BotApiTransport,
  method: BotApiMethod,
  paramsSchema: P,
  input: unknown,
  toWire: (params: z.output<P>) => Record<string, unknown>,
  schema: S,
): Promise<Result<z.output<S>, BotApiError>> => {
  const checked = paramsSchema.safeParse(input);
  if (!checked.success) return err(invalidRequest(method, checked.error));
  return send(transport, method, wire(toWire(checked.data)), schema);
};

/** The methods on top of a transport: validate, send, check the result. REAL and MOCK share all of it. */
export const buildBotApi = (mode: "REAL" | "MOCK", transport: BotApiTransport): BotApi => {
  const getStarTransactions: BotApi["getStarTransactions"] = (params = {}) =>
    sendValidated(
      transport,
      "getStarTransactions",
      TransactionsPageSchema,
      params,
      (page) => ({ offset: page.offset ?? 0, limit: page.limit ?? starTransactionsPageSizeMax }),
      results.transactions,
    );

  return {
    mode,

    createInvoiceLink: (invoice) =>
      sendValidated(
        transport,
        "createInvoiceLink",
        InvoiceSchema,
        invoice,
        (v) => ({
          title: v.title,
          description: v.description,
          payload: v.payload,
          // Sent empty rather than omitted: older Bot API servers require the field.
          provider_token: "",
          currency: v.currency,
          prices: v.prices.map((price) => ({ label: price.label, amount: price.amount })),
          photo_url: v.photoUrl,
        }),
        results.link,
      ),

    answerPreCheckoutQuery: (params) =>
      sendValidated(
        transport,
        "answerPreCheckoutQuery",
        AnswerPreCheckoutSchema,
        params,
        (v) => ({
          pre_checkout_query_id: v.preCheckoutQueryId,
          ok: v.ok,
          error_message: v.ok ? undefined : v.errorMessage,
        }),
        results.true,
      ),

    refundStarPayment: (params) =>
      sendValidated(
        transport,
        "refundStarPayment",
        RefundSchema,
        params,
        (v) => ({ user_id: v.userId, telegram_payment_charge_id: v.telegramPaymentChargeId }),
        results.true,
      ),

    getStarTransactions,

    async getAllStarTransactions(options = {}) {
      const maxPages = options.maxPages ?? defaultStarTransactionPagesMax;
      const all: StarTransaction[] = [];
      for (let page = 0; page < maxPages; page++) {
        const fetched = await getStarTransactions({ offset: all.length, limit: starTransactionsPageSizeMax });
        if (fetched.isErr()) return err(fetched.error);
        all.push(...fetched.value);
        if (fetched.value.length < starTransactionsPageSizeMax) return ok({ transactions: all, complete: true });
      }
      return ok({ transactions: all, complete: false });
    },

    getMyStarBalance: () => send(transport, "getMyStarBalance", {}, results.starAmount),

    setWebhook: (params) =>
      sendValidated(
        transport,
        "setWebhook",
        SetWebhookSchema,
        params,
        (v) => ({
          url: v.url,
          secret_token: v.secretToken,
          allowed_updates: v.allowedUpdates ?? webhookAllowedUpdates,
          drop_pending_updates: v.dropPendingUpdates,
          max_connections: v.maxConnections,
        }),
        results.true,
      ),

    getWebhookInfo: () => send(transport, "getWebhookInfo", {}, results.webhookInfo),

    deleteWebhook: (params = {}) =>
      send(transport, "deleteWebhook", wire({ drop_pending_updates: params.dropPendingUpdates }), results.true),
  };
};
