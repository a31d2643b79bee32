import { readFileSync } from "node:fs";

export type FixtureName = "pre_checkout_query" | "successful_payment" | "refunded_payment" | "text_message";

/** A sample update from test/fixtures, with REPLACE_WITH_PAYMENT_ID replaced by the payment id. */
export const fixture = (
  name: FixtureName,
  paymentId = "00000000-0000-4000-8000-000000000000",
): Record<string, unknown> => {
  const text = readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), "utf8");
  return JSON.parse(text.replaceAll("REPLACE_WITH_PAYMENT_ID", paymentId)) as Record<string, unknown>;
};

/** The runbook's simulated webhook: a message with only successful_payment. */
export const runbookSimulatedPayment = (paymentId: string, chargeId = "test_charge_123", totalAmount = 10) => ({
  update_id: 123,
  message: {
    successful_payment: {
      currency: "XTR",
      total_amount: totalAmount,
      invoice_payload: paymentId,
      telegram_payment_charge_id: chargeId,
    },
  },
});

/** A successful_payment update shaped like the sample, with the given charge and amount. */
export const successfulPaymentUpdate = (
  paymentId: string,
  options: { updateId?: number; chargeId?: string; totalAmount?: number; currency?: string; fromId?: number } = {},
) => {
  const update = fixture("successful_payment", paymentId) as {
    update_id: number;
    message: { from: { id: number }; successful_payment: Record<string, unknown> };
  };
  update.update_id = options.updateId ?? update.update_id;
  update.message.from.id = options.fromId ?? update.message.from.id;
  const payment = update.message.successful_payment;
  payment.telegram_payment_charge_id = options.chargeId ?? payment.telegram_payment_charge_id;
  payment.total_amount = options.totalAmount ?? payment.total_amount;
  payment.currency = options.currency ?? payment.currency;
  return update;
};

export const preCheckoutUpdate = (
  paymentId: string,
  options: { queryId?: string; totalAmount?: number; currency?: string; fromId?: number } = {},
) => {
  const update = fixture("pre_checkout_query", paymentId) as {
    pre_checkout_query: { id: string; from: { id: number }; total_amount: number; currency: string };
  };
  const query = update.pre_checkout_query;
  query.id = options.queryId ?? query.id;
  query.total_amount = options.totalAmount ?? query.total_amount;
  query.currency = options.currency ?? query.currency;
  query.from.id = options.fromId ?? query.from.id;
  return update;
};
