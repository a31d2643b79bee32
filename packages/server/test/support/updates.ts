/** Telegram updates as the Bot API sends them (shapes from the Bot API docs and the runbook). */

export const defaultPayerId = 512345678;

/** The runbook's simulated webhook, verbatim: a message with only successful_payment. */
export const runbookSimulatedPayment = (paymentId: string) => ({
  update_id: 123,
  message: {
    successful_payment: {
      currency: "XTR",
      total_amount: 10,
      invoice_payload: paymentId,
      telegram_payment_charge_id: "test_charge_123",
    },
  },
});

let nextUpdateId = 710_000_000;

export const successfulPaymentUpdate = (
  paymentId: string,
  options: { chargeId?: string; totalAmount?: number; currency?: string; fromId?: number; updateId?: number } = {},
) => {
  const fromId = options.fromId ?? defaultPayerId;
  return {
    update_id: options.updateId ?? nextUpdateId++,
    message: {
      message_id: 1201,
      from: { id: fromId, is_bot: false, first_name: "Ada" },
      chat: { id: fromId, first_name: "Ada", type: "private" },
      date: 1764115200,
      successful_payment: {
        currency: options.currency ?? "XTR",
        total_amount: options.totalAmount ?? 10,
        invoice_payload: paymentId,
        telegram_payment_charge_id: options.chargeId ?? `stx_${paymentId}`,
        provider_payment_charge_id: "",
      },
    },
  };
};

export const preCheckoutUpdate = (
  paymentId: string,
  options: { queryId?: string; totalAmount?: number; currency?: string; fromId?: number } = {},
) => ({
  update_id: nextUpdateId++,
  pre_checkout_query: {
    id: options.queryId ?? `q_${paymentId}`,
    from: { id: options.fromId ?? defaultPayerId, is_bot: false, first_name: "Ada" },
    currency: options.currency ?? "XTR",
    total_amount: options.totalAmount ?? 10,
    invoice_payload: paymentId,
  },
});
