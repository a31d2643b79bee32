/** The refusals of the payment use cases (create-payment.ts, admin-refund.ts). No HTTP here: each edge maps them. */
import type { LedgerError } from "@starledger/core";
import type { BotApiError } from "./bot-api-errors.js";
import { notConfiguredMessage } from "./create-bot-api.js";

/** The runbook's message when createInvoiceLink fails. */
export const invoiceFailedMessage = "Failed to create invoice";

/** REAL mode without MASTER_BOT_TOKEN: Telegram could not be asked. */
export type PaymentSystemNotConfigured = { readonly type: "PaymentSystemNotConfigured"; readonly message: string };
/** One unpaid payment too many for this user; nothing was recorded. */
export type TooManyPendingPayments = { readonly type: "TooManyPendingPayments"; readonly message: string };
/**
 * createInvoiceLink failed (details.telegram says why), or failed before for this payment (details.failureReason).
 * The payment is recorded FAILED, at `position` when this request recorded it.
 */
export type InvoiceCreationFailed = {
  readonly type: "InvoiceCreationFailed";
  readonly message: string;
  readonly details: { readonly telegram: string } | { readonly failureReason: string | undefined };
  readonly position?: bigint | undefined;
};
/** refundStarPayment was refused or not answered; the payment is not recorded as refunded. */
export type TelegramRefundFailed = {
  readonly type: "TelegramRefundFailed";
  readonly message: string;
  readonly details: { readonly telegram: string };
};

export type PaymentUseCaseError =
  LedgerError | PaymentSystemNotConfigured | TooManyPendingPayments | InvoiceCreationFailed | TelegramRefundFailed;

const notConfigured: PaymentSystemNotConfigured = { type: "PaymentSystemNotConfigured", message: notConfiguredMessage };

export const invoiceCreationFailed = (
  error: BotApiError,
  position: bigint | undefined,
): InvoiceCreationFailed | PaymentSystemNotConfigured =>
  error.type === "NotConfigured"
    ? notConfigured
    : { type: "InvoiceCreationFailed", message: invoiceFailedMessage, details: { telegram: error.message }, position };

export const telegramRefundFailed = (error: BotApiError): TelegramRefundFailed | PaymentSystemNotConfigured =>
  error.type === "NotConfigured"
    ? notConfigured
    : {
        type: "TelegramRefundFailed",
        message:
          "Telegram refused or did not answer the refund; the payment is not recorded as refunded, " +
          "and the refund reactor tries the request again",
        details: { telegram: error.message },
      };
