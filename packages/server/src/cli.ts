import type { CliContext, Command } from "./cli-context.js";
import { auditCommand } from "./commands/audit.js";
import { reconcileCommand } from "./commands/reconcile.js";
import { replayCommand } from "./commands/replay.js";
import { serveCommand } from "./commands/serve.js";
import { starsCommand } from "./commands/stars.js";
import { tokenCommand } from "./commands/token.js";
import { webhookCommand } from "./commands/webhook.js";

export const usage = `starledger — an event-sourced credits ledger for Telegram Stars

Usage: starledger <command> [options]

Commands:
  serve                          run the HTTP server (what npm start runs)
  token --user ID [--admin] [--ttl 1h]
                                 print a bearer token (last line)
  replay [--json]                rebuild the read models from the store and print totals
  webhook set --url URL [--drop-pending] | info | delete
                                 the runbook's webhook setup
  stars balance                  the bot's Star balance (getMyStarBalance)
  audit verify [FILE] [--anchor LINE] [--anchor-file F] [--json]
                                 recompute every hash chain (the store, or an export FILE offline)
  audit export [--from POS] [--to POS] [--out FILE]
                                 NDJSON of the events in global order, with a summary line
  audit anchor [--out FILE]      print a digest of all stream heads to keep elsewhere
  reconcile [--json] [--apply] [--max-pages N]
                                 compare the ledger with Telegram's getStarTransactions

Every command reads the same settings as the server (environment variables; see README).
Run "starledger <command> --help" for a command's options.`;

const commands: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  token: tokenCommand,
  replay: replayCommand,
  webhook: webhookCommand,
  stars: starsCommand,
  audit: auditCommand,
  reconcile: reconcileCommand,
};

/** Runs `starledger <argv>` and returns its exit code: 0 done, 1 failed or found a problem, 2 bad usage. */
export const main = async (argv: readonly string[], ctx: CliContext): Promise<number> => {
  const [command, ...args] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    ctx.io.out(usage);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (run === undefined) {
    ctx.io.err(`Unknown command "${command}".\n\n${usage}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    ctx.io.out(run.help);
    return 0;
  }
  try {
    return await run.run(args, ctx);
  } catch (error) {
    ctx.io.err(error instanceof Error ? error.message : String(error));
    return 2;
  }
};
