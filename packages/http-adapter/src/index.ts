export { buildApp, redactedLogPaths, type BuildAppOptions } from "./app.js";
export { defaultCreateRateLimitPerMinute, defaultReadYourWritesTimeoutMs, type AppDeps } from "./app-context.js";
export { authenticate, issueToken, requireAdmin, type AuthError, type AuthSettings, type Caller } from "./auth.js";
export { toHttpError, runbookMessages, type AppError } from "./http-errors.js";
export { createMetrics, type Metrics } from "./metrics.js";
export { describeStoreUrl, openEventStore, supportedStoreSchemes } from "./open-event-store.js";
export { createLogger, startServer, type RunningServer } from "./serve.js";
