import { starsCurrency } from "@starledger/core";

/** The runbook's local service address, used in suggested commands unless told otherwise. */
export const defaultServiceUrl = "http://localhost:8001";

/** Single-quotes text for a POSIX shell. */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

type ChargeFields = {
  readonly telegramPaymentChargeId: string;
  readonly starsAmount: number;
  readonly invoicePayload: string;
  readonly telegramUserId: number | undefined;
};

const message = (charge: ChargeFields, key: "successful_payment" | "refunded_payment") => ({
  update_id: 0,
  message: {
    ...(charge.telegramUserId === undefined
      ? {}
      : { from: { id: charge.telegramUserId, is_bot: false, first_name: "reconcile" } }),
    [key]: {
      currency: starsCurrency,
      total_amount: charge.starsAmount,
      invoice_payload: charge.invoicePayload,
      telegram_payment_charge_id: charge.telegramPaymentChargeId,
      provider_payment_charge_id: "",
    },
  },
});

/** The runbook's simulated webhook, carrying the update Telegram sent (or would have sent): the idempotent command path. */
export const webhookReplay = (
  serviceUrl: string,
  charge: ChargeFields,
  key: "successful_payment" | "refunded_payment",
): string =>
  `curl -X POST ${trimSlash(serviceUrl)}/master/webhook -H "Content-Type: application/json" ` +
  `-H "X-Telegram-Bot-Api-Secret-Token: $WEBHOOK_SECRET" -d ${shellQuote(JSON.stringify(message(charge, key)))}`;

export const adminRefund = (serviceUrl: string, paymentId: string): string =>
  `curl -X POST ${trimSlash(serviceUrl)}/api/payments/admin/${encodeURIComponent(paymentId)}/refund -H "Authorization: Bearer $ADMIN_TOKEN"`;

export const creditAdjustment = (serviceUrl: string, userId: number, delta: number, reason: string): string =>
  `curl -X POST ${trimSlash(serviceUrl)}/api/credits/admin/adjust -H "Authorization: Bearer $ADMIN_TOKEN" ` +
  `-H "Content-Type: application/json" -d ${shellQuote(JSON.stringify({ userId, delta, reason }))}`;

export const telegramRefund = (userId: number | undefined, telegramPaymentChargeId: string): string =>
  `curl -X POST "https://api.telegram.org/bot$MASTER_BOT_TOKEN/refundStarPayment" ` +
  `-d user_id=${userId === undefined ? "<payer user id>" : String(userId)} --data-urlencode telegram_payment_charge_id=${shellQuote(telegramPaymentChargeId)}`;
