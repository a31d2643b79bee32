export * from "./config.js";
export * from "./credit-packages.js";
export * from "./events.js";
export * from "./payment-commands.js";
export * from "./payment-errors.js";
export * from "./decider.js";
export * from "./payment-decider.js";
export * from "./credit-account-decider.js";
export * from "./unmatched-charge-decider.js";
export * from "./event-store.js";
export * from "./well-formed-text.js";
export * from "./storable-events.js";
export * from "./streams.js";
export * from "./hash-chain.js";
export * from "./event-ids.js";
export * from "./natural-keys.js";
export * from "./pause.js";
export * from "./subscription-loop.js";
export * from "./open-subscriptions.js";
export * from "./expected-revision.js";
export * from "./in-memory-event-store.js";
export * from "./command-handler.js";
export type {
  IdempotencyConflict,
  RefundCheck,
  RefundRequest,
  SuccessfulPaymentOutcome,
  Written,
} from "./ledger-outcomes.js";
export * from "./stars-ledger.js";
export * from "./payment-expiry-sweeper.js";
