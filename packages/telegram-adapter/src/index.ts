export { silentLogger, type LogFields, type Logger } from "./logger.js";
export { telegramConfig, type TelegramConfig } from "./config.js";
export {
  invoicePayloadBytesMax,
  parseUpdate,
  telegramIdLengthMax,
  type InvalidUpdate,
  type PreCheckoutQuery,
  type RefundedPayment,
  type SuccessfulPayment,
  type TelegramUpdate,
  type TelegramUser,
} from "./update-schemas.js";
export {
  preCheckoutCall,
  refundedPaymentCall,
  successfulPaymentCall,
  translateUpdate,
  updateCorrelationId,
  type LedgerCall,
  type PreCheckoutInput,
  type RefundedPaymentInput,
  type SuccessfulPaymentInput,
} from "./update-translation.js";
export {
  createWebhookService,
  defaultPreCheckoutBudgetMs,
  telegramPreCheckoutDeadlineMs,
  type WebhookService,
  type WebhookServiceDeps,
  type WebhookServiceSettings,
} from "./webhook-service.js";
export {
  webhookErrorBody,
  webhookErrorStatus,
  type AnswerPreCheckoutQueryReply,
  type BadSecret,
  type StoreUnavailableError,
  type UnstorableUpdate,
  type WebhookError,
  type WebhookReply,
} from "./webhook-answer.js";
export { preCheckoutUnavailableMessage } from "./pre-checkout-update.js";
export { assertWebhookSecurity, secretTokenMatches, type InsecureWebhook } from "./webhook-security.js";
export {
  botApiMethods,
  isChargeAlreadyRefunded,
  isTransientBotApiError,
  repeatSafeMethods,
  type BotApiError,
  type BotApiMethod,
} from "./bot-api-errors.js";
export {
  defaultStarTransactionPagesMax,
  invoiceDescriptionLengthMax,
  invoiceTitleLengthMax,
  starsInvoice,
  starTransactionsPageSizeMax,
  webhookAllowedUpdates,
  type AllStarTransactions,
  type AnswerPreCheckoutQueryParams,
  type BotApi,
  type BotApiResult,
  type GetStarTransactionsParams,
  type LabeledPrice,
  type RefundStarPaymentParams,
  type SetWebhookParams,
  type StarAmount,
  type StarsInvoice,
  type StarTransaction,
  type TransactionPartner,
  type WebhookInfo,
} from "./bot-api.js";
export {
  defaultMaxRetries,
  defaultMaxRetryAfterMs,
  defaultRequestTimeoutMs,
  defaultTelegramApiRoot,
  responseBytesMax,
} from "./http-transport.js";
export {
  createMockBotApi,
  mockInvoiceLink,
  mockRecordedCallsMax,
  type BotApiCall,
  type MockBotApi,
} from "./mock-bot-api.js";
export { createBotApi, createBotApiFromConfig, notConfiguredMessage, type BotApiOptions } from "./create-bot-api.js";
export {
  createPaymentCreation,
  paymentIdFor,
  pendingPaymentsPerUserMax,
  type CreatedPayment,
  type CreatePaymentRequest,
  type PaymentCreation,
  type PaymentCreationDeps,
  type PaymentsSeen,
} from "./create-payment.js";
export { createAdminRefund, type AdminRefund, type AdminRefundDeps, type AdminRefundRequest } from "./admin-refund.js";
export {
  invoiceFailedMessage,
  type InvoiceCreationFailed,
  type PaymentSystemNotConfigured,
  type PaymentUseCaseError,
  type TelegramRefundFailed,
  type TooManyPendingPayments,
} from "./use-case-errors.js";
export { refundStars, type StarRefund } from "./star-refund.js";
export { refundRequestGraceMs } from "./refund-schedule.js";
export {
  createRefundReactor,
  defaultRefundAttemptsMax,
  defaultRefundRetryBaseMs,
  defaultRefundRetryMaxMs,
  refundQueueMax,
  type RefundReactor,
  type RefundReactorOptions,
} from "./refund-reactor.js";
export {
  initDataClockSkewMs,
  initDataLengthMax,
  signInitData,
  validateInitData,
  type InitDataError,
  type TelegramWebAppUser,
} from "./init-data.js";
