export { main, usage } from "./cli.js";
export { processIo, type CliContext, type Command, type Io } from "./cli-context.js";
export {
  closeWithGrace,
  compose,
  composeLedger,
  openStore,
  shutdownGraceMs,
  type ComposeDeps,
  type Composed,
  type LedgerParts,
} from "./compose.js";
export { parseConfig, serverConfig, settingNames, type Config, type ConfigError } from "./config.js";
export { dataDirectory, devSecretFileName, loadOrCreateDevSecret, resolveAuthSecret } from "./dev-secret.js";
export { createLogger } from "./logger.js";
export { describeStoreUrl, openEventStore, supportedStoreSchemes, type OpenStoreError } from "./open-event-store.js";
export {
  devTokenTtlMs,
  devUserId,
  startServer,
  type RunningServer,
  type ServeOptions,
  type StartupError,
} from "./serve.js";
export { timedEventStore } from "./timed-event-store.js";
