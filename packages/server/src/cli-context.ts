import type { Writable } from "node:stream";
import { pino } from "pino";
import { composeLedger, openStore, type LedgerParts } from "./compose.js";
import { parseConfig, type Config } from "./config.js";

/** Where a command writes: lines to stdout and stderr, and stdout as a stream for output too long to hold. */
export type Io = {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Standard output as a stream (audit export writes to it, waiting for it to drain). */
  readonly stdout: Writable;
};

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdout: process.stdout,
};

export type CliContext = {
  readonly io: Io;
  /** The settings, as environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: the system clock. */
  readonly now?: () => Date;
};

/** One `starledger <command>`: its help, and the run that returns the exit code. */
export type Command = {
  readonly help: string;
  readonly run: (args: string[], ctx: CliContext) => Promise<number>;
};

/** The settings, or undefined after printing their problems. */
export const loadConfig = (ctx: CliContext): Config | undefined => {
  const parsed = parseConfig(ctx.env);
  if (parsed.isErr()) {
    ctx.io.err(parsed.error.message);
    return undefined;
  }
  return parsed.value;
};

// A command prints its own output; the ledger's parts log nothing, as the server's would, into it.
const silent = pino({ level: "silent" });

/** Opens the configured store (compose's) for the duration of `work`; exit 1 when the settings or the store fail. */
export const withStore = async (
  ctx: CliContext,
  work: (store: LedgerParts["rawStore"], config: Config) => Promise<number>,
): Promise<number> => {
  const config = loadConfig(ctx);
  if (config === undefined) return 1;
  const opened = await openStore(config, {});
  if (opened.isErr()) {
    ctx.io.err(opened.error.message);
    return 1;
  }
  try {
    return await work(opened.value, config);
  } finally {
    await opened.value.close();
  }
};

/** The ledger's parts (compose's, without the HTTP app and never started) for the duration of `work`. */
export const withLedger = async (ctx: CliContext, work: (parts: LedgerParts) => Promise<number>): Promise<number> => {
  const config = loadConfig(ctx);
  if (config === undefined) return 1;
  const composed = await composeLedger(config, { logger: silent, now: ctx.now ?? (() => new Date()) });
  if (composed.isErr()) {
    ctx.io.err(composed.error.message);
    return 1;
  }
  try {
    return await work(composed.value);
  } finally {
    await composed.value.close();
  }
};
