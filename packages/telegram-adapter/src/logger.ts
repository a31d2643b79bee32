/** Structured fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The few pino methods this package calls, so a pino logger fits without a dependency on pino. */
export type Logger = {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  debug?(fields: LogFields, message: string): void;
};

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** debug when the logger has it, else nothing: debug lines are optional. */
export const logDebug = (logger: Logger, fields: LogFields, message: string): void => {
  logger.debug?.(fields, message);
};
