import { redactedLogPaths } from "@starledger/http-adapter";
import { pino, type Logger } from "pino";
import type { Config } from "./config.js";

/** The service's pino logger: JSON lines on stdout, secrets redacted. */
export const createLogger = (config: Pick<Config, "LOG_LEVEL">): Logger =>
  pino({
    level: config.LOG_LEVEL,
    redact: { paths: redactedLogPaths, censor: "[redacted]" },
    base: { service: "starledger" },
  });
