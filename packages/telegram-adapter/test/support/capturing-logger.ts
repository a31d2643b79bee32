import type { LogFields, Logger } from "../../src/index.js";

export type LogEntry = {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: LogFields;
  readonly message: string;
};

export type CapturingLogger = Logger & {
  readonly entries: LogEntry[];
  messages(level?: LogEntry["level"]): string[];
  find(message: string): LogEntry | undefined;
};

export const capturingLogger = (): CapturingLogger => {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (fields: LogFields, message: string): void => {
      entries.push({ level, fields, message });
    };
  return {
    entries,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    messages: (level) => entries.filter((e) => level === undefined || e.level === level).map((e) => e.message),
    find: (message) => entries.find((e) => e.message === message),
  };
};
