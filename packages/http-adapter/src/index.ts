export { buildApp, redactedLogPaths, type BuildAppOptions } from "./app.js";
export {
  defaultCreateRateLimitPerMinute,
  defaultReadYourWritesTimeoutMs,
  pendingPaymentsPerUserMax,
  readyLagEventsMax,
  type AppDeps,
} from "./app-context.js";
export {
  authenticate,
  issueToken,
  requireAdmin,
  tokenTtlMaxMs,
  type AuthError,
  type AuthSettings,
  type Caller,
} from "./auth.js";
export { toHttpError, runbookMessages, type AppError } from "./http-errors.js";
export { createMetrics, type Metrics } from "./metrics.js";
export { httpConfig, type HttpConfig } from "./config.js";
