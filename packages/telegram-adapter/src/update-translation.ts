import type { CommandContext, StarsLedger } from "@starledger/core";
import type { TelegramUpdate } from "./update-schemas.js";

/** The correlation id of everything an update causes, so its events can be traced back to it. */
export const updateCorrelationId = (updateId: number): string => `tg-update-${updateId}`;

export type PreCheckoutInput = Parameters<StarsLedger["answerPreCheckout"]>[0];
export type SuccessfulPaymentInput = Parameters<StarsLedger["recordSuccessfulPayment"]>[0];
export type RefundedPaymentInput = Parameters<StarsLedger["recordRefundedPayment"]>[0];

type UpdateOf<K extends TelegramUpdate["kind"]> = Extract<TelegramUpdate, { kind: K }>;
type Call<Input> = { readonly input: Input; readonly context: CommandContext };

const contextOf = (update: TelegramUpdate): CommandContext => ({ correlationId: updateCorrelationId(update.updateId) });

// The adapter holds no rule: it renames fields and adds the time and the correlation id.

export const preCheckoutCall = (update: UpdateOf<"pre_checkout_query">, now: Date): Call<PreCheckoutInput> => {
  const query = update.preCheckoutQuery;
  return {
    input: {
      invoicePayload: query.invoicePayload,
      queryId: query.id,
      telegramUserId: query.from.id,
      currency: query.currency,
      totalAmount: query.totalAmount,
      now,
    },
    context: contextOf(update),
  };
};

export const successfulPaymentCall = (
  update: UpdateOf<"successful_payment">,
  now: Date,
): Call<SuccessfulPaymentInput> => {
  const payment = update.successfulPayment;
  return {
    input: {
      invoicePayload: payment.invoicePayload,
      telegramPaymentChargeId: payment.telegramPaymentChargeId,
      providerPaymentChargeId: payment.providerPaymentChargeId,
      currency: payment.currency,
      totalAmount: payment.totalAmount,
      ...(update.from === undefined ? {} : { telegramUserId: update.from.id }),
      now,
    },
    context: contextOf(update),
  };
};

export const refundedPaymentCall = (update: UpdateOf<"refunded_payment">, now: Date): Call<RefundedPaymentInput> => ({
  input: {
    invoicePayload: update.refundedPayment.invoicePayload,
    telegramPaymentChargeId: update.refundedPayment.telegramPaymentChargeId,
    now,
  },
  context: contextOf(update),
});

/** The core call an update becomes. */
export type LedgerCall =
  | ({ readonly kind: "answerPreCheckout" } & Call<PreCheckoutInput>)
  | ({ readonly kind: "recordSuccessfulPayment" } & Call<SuccessfulPaymentInput>)
  | ({ readonly kind: "recordRefundedPayment" } & Call<RefundedPaymentInput>)
  | { readonly kind: "none" };

export const translateUpdate = (update: TelegramUpdate, now: Date): LedgerCall => {
  switch (update.kind) {
    case "pre_checkout_query":
      return { kind: "answerPreCheckout", ...preCheckoutCall(update, now) };
    case "successful_payment":
      return { kind: "recordSuccessfulPayment", ...successfulPaymentCall(update, now) };
    case "refunded_payment":
      return { kind: "recordRefundedPayment", ...refundedPaymentCall(update, now) };
    case "ignored":
      return { kind: "none" };
  }
};
