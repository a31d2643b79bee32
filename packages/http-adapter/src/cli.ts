import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  anchorFileJson,
  anchorLine,
  exportAudit,
  formatReconcileReport,
  formatVerifyReport,
  parseAnchor,
  reconcile,
  reconcileReportJson,
  verifyExport,
  verifyReportJson,
  verifyStore,
  type ParsedAnchor,
} from "@starledger/audit";
import { parseConfig, parseDurationMs, StarsLedger, type Config, type EventStore } from "@starledger/core";
import { replay } from "@starledger/projections";
import { createBotApiFromConfig } from "@starledger/telegram-adapter";
import { issueToken, tokenTtlMaxMs } from "./auth.js";
import { dataDirectory, loadOrCreateDevSecret } from "./dev-secret.js";
import { describeStoreUrl, openEventStore } from "./open-event-store.js";
import { shutdownGraceMs, startServer } from "./serve.js";

type Io = { out: (line: string) => void; err: (line: string) => void };
const io: Io = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };

const usage = `starledger — an event-sourced credits ledger for Telegram Stars

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

const help: Record<string, string> = {
  serve: `starledger serve
  Runs the server. Defaults: PAYMENT_MODE=MOCK, EVENT_STORE_URL=sqlite:./data/starledger.db, 127.0.0.1:8001.
  Prints the mode, the store, the URL and the docs URL. SIGTERM/SIGINT: finish in-flight requests (at most ${shutdownGraceMs / 1000} s), close the store.`,
  token: `starledger token --user ID [--admin] [--ttl 1h]
  Prints a bearer token signed with AUTH_SECRET (MOCK mode without it: the generated development secret).
  --user ID   Telegram user id (the token's sub)
  --admin     add role "admin"
  --ttl DUR   lifetime, e.g. 30m, 1h, 7d (default 1h, at most 365d)`,
  replay: `starledger replay [--json]
  Rebuilds every read model from position 0 of the configured store and prints: events, payments by status,
  users, totalCredits (sum of balances), revenueStars and creditsIssued. --json: one JSON object.
  A read model that cannot apply an event stops there, as on the server: it is named on stderr (and in
  --json "stopped"), its totals stop at that event, and the exit code is 1.`,
  webhook: `starledger webhook set --url URL [--drop-pending] | info | delete
  set     setWebhook with WEBHOOK_SECRET as secret_token and allowed_updates ["message","pre_checkout_query"]
  info    getWebhookInfo
  delete  deleteWebhook (--drop-pending drops queued updates)`,
  stars: `starledger stars balance
  Prints the bot's Star balance (getMyStarBalance).`,
  audit: `starledger audit verify [FILE] [--anchor LINE] [--anchor-file F] [--json]
  Without FILE: recomputes every hash chain in the configured store. With FILE: verifies an export offline,
  with no store (edited, deleted, inserted, reordered or truncated events are caught). --anchor / --anchor-file:
  also prove that nothing that existed when the anchor was taken has changed. Exit 0 intact, 1 broken.
starledger audit export [--from POS] [--to POS] [--out FILE]
  NDJSON in global order, one event per line, then a summary line (stream heads, counts, file digest).
starledger audit anchor [--out FILE]
  Verifies the store, then prints one line "sl-anchor-v1:<position>:<digest>" to keep somewhere the operator
  cannot write; --out also saves the per-stream heads, so a later verify can name the stream that changed.
See docs/AUDIT.md for what these prove and what they do not.`,
  reconcile: `starledger reconcile [--json] [--apply] [--max-pages N]
  Reads all of getStarTransactions (100 per page) and compares them with the ledger: charges the ledger never
  credited, payments Telegram does not have, amount mismatches, refunds, extra and unmatched charges, totals.
  --apply records a lost successful payment of a still-pending invoice through the webhook's idempotent path.
  Exit 0 when everything matches, 1 when not.`,
};

const loadConfig = (): Config | undefined => {
  const parsed = parseConfig(process.env);
  if (parsed.isErr()) {
    io.err(parsed.error.message);
    return undefined;
  }
  return parsed.value;
};

const serve = async (): Promise<number> => {
  const started = await startServer(process.env);
  if (!started.ok) {
    io.err(started.error.message);
    return 1;
  }
  const { server } = started;
  for (const line of server.banner) io.out(line);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      server.logger.info({ signal, graceMs: shutdownGraceMs }, "Shutting down: finishing in-flight requests");
      server.close().then(resolve, (error: unknown) => {
        server.logger.error({ err: error }, "Shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => {
      stop("SIGTERM");
    });
    process.once("SIGINT", () => {
      stop("SIGINT");
    });
  });
  return 0;
};

const token = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: "string" },
      admin: { type: "boolean", default: false },
      ttl: { type: "string", default: "1h" },
    },
  });
  const userId = Number(values.user);
  if (values.user === undefined || !/^\d+$/.test(values.user) || !Number.isSafeInteger(userId) || userId <= 0) {
    io.err("--user must be a Telegram user id (a positive whole number)");
    return 2;
  }
  const ttlMs = parseDurationMs(values.ttl);
  if (ttlMs === undefined || ttlMs <= 0 || ttlMs > tokenTtlMaxMs) {
    io.err(`--ttl must be a duration like 30m, 1h or 7d, at most 365d; got "${values.ttl}"`);
    return 2;
  }
  const config = loadConfig();
  if (config === undefined) return 1;
  let secret = config.AUTH_SECRET;
  if (secret === undefined) {
    if (config.PAYMENT_MODE === "REAL") {
      io.err("AUTH_SECRET is required in REAL mode");
      return 1;
    }
    secret = loadOrCreateDevSecret(dataDirectory(config.EVENT_STORE_URL)).secret;
  }
  io.out(await issueToken({ userId, admin: values.admin, ttlMs }, secret));
  return 0;
};

/** Opens the configured store for the duration of `work`. */
const withStore = async (work: (store: EventStore, config: Config) => Promise<number>): Promise<number> => {
  const config = loadConfig();
  if (config === undefined) return 1;
  const opened = await openEventStore(config);
  if (!opened.ok) {
    io.err(opened.error.message);
    return 1;
  }
  try {
    return await work(opened.store, config);
  } finally {
    await opened.store.close();
  }
};

const replayCommand = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  return withStore(async (store, config) => {
    try {
      const startedAt = performance.now();
      const result = await replay(store);
      const seconds = (performance.now() - startedAt) / 1000;
      const stats = result.models.stats();
      const summary = {
        store: describeStoreUrl(config.EVENT_STORE_URL),
        events: result.eventCount,
        position: result.position.toString(),
        payments: stats.byStatus,
        users: result.models.balances.userCount(),
        totalCredits: result.models.balances.totalCredits(),
        revenueStars: stats.revenueStars,
        creditsIssued: stats.creditsIssued,
        seconds: Number(seconds.toFixed(3)),
        stopped: result.stopped.map((stop) => ({
          ...stop,
          position: `${stop.position}`,
          checkpoint: `${stop.checkpoint}`,
        })),
      };
      if (values.json) {
        io.out(JSON.stringify(summary));
      } else {
        io.out(
          `Replayed ${summary.events} events from ${summary.store} in ${summary.seconds} s (position ${summary.position})`,
        );
        io.out(
          `payments: PENDING ${stats.byStatus.PENDING}, PAID ${stats.byStatus.PAID}, FAILED ${stats.byStatus.FAILED}, REFUNDED ${stats.byStatus.REFUNDED}`,
        );
        io.out(`users: ${summary.users}`);
        io.out(`totalCredits: ${summary.totalCredits}`);
        io.out(`revenueStars: ${summary.revenueStars}`);
        io.out(`creditsIssued: ${summary.creditsIssued}`);
      }
      for (const stop of result.stopped)
        io.err(`Read model ${stop.model} stopped at position ${stop.position}, skipping nothing: ${stop.message}`);
      return result.stopped.length === 0 ? 0 : 1;
    } catch (error) {
      io.err(`Replay failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  });
};

const webhook = async (args: string[]): Promise<number> => {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { url: { type: "string" }, "drop-pending": { type: "boolean", default: false } },
  });
  const config = loadConfig();
  if (config === undefined) return 1;
  const botApi = createBotApiFromConfig(config);
  if (action === "set") {
    if (values.url === undefined || !/^https:\/\//.test(values.url)) {
      io.err("webhook set needs --url https://your-host/master/webhook (Telegram requires HTTPS)");
      return 2;
    }
    if (config.WEBHOOK_SECRET === undefined)
      io.err("warning: WEBHOOK_SECRET is not set, so Telegram's requests cannot be verified");
    const set = await botApi.setWebhook({
      url: values.url,
      ...(config.WEBHOOK_SECRET === undefined ? {} : { secretToken: config.WEBHOOK_SECRET }),
      dropPendingUpdates: values["drop-pending"],
    });
    if (set.isErr()) {
      io.err(`setWebhook failed: ${set.error.message}`);
      return 1;
    }
    io.out(
      `Webhook set to ${values.url} (allowed_updates: message, pre_checkout_query${config.WEBHOOK_SECRET === undefined ? "" : ", with secret_token"})`,
    );
    return 0;
  }
  if (action === "info") {
    const info = await botApi.getWebhookInfo();
    if (info.isErr()) {
      io.err(`getWebhookInfo failed: ${info.error.message}`);
      return 1;
    }
    io.out(JSON.stringify(info.value, null, 2));
    return 0;
  }
  if (action === "delete") {
    const deleted = await botApi.deleteWebhook({ dropPendingUpdates: values["drop-pending"] });
    if (deleted.isErr()) {
      io.err(`deleteWebhook failed: ${deleted.error.message}`);
      return 1;
    }
    io.out("Webhook deleted");
    return 0;
  }
  io.err(help.webhook ?? "");
  return 2;
};

const stars = async (args: string[]): Promise<number> => {
  if (args[0] !== "balance") {
    io.err(help.stars ?? "");
    return 2;
  }
  const config = loadConfig();
  if (config === undefined) return 1;
  const balance = await createBotApiFromConfig(config).getMyStarBalance();
  if (balance.isErr()) {
    io.err(`getMyStarBalance failed: ${balance.error.message}`);
    return 1;
  }
  io.out(
    `${balance.value.starsAmount} Stars${balance.value.nanostarAmount === 0 ? "" : ` and ${balance.value.nanostarAmount} nanostars`}`,
  );
  return 0;
};

const readAnchor = (
  line: string | undefined,
  file: string | undefined,
): { ok: true; anchor: ParsedAnchor | undefined } | { ok: false } => {
  if (line === undefined && file === undefined) return { ok: true, anchor: undefined };
  const parsed = parseAnchor({
    ...(line === undefined ? {} : { line }),
    ...(file === undefined ? {} : { file: readFileSync(file, "utf8") }),
  });
  if (parsed.isErr()) {
    io.err(`Invalid anchor: ${parsed.error.message}`);
    return { ok: false };
  }
  return { ok: true, anchor: parsed.value };
};

const parsePosition = (text: string | undefined, name: string): bigint | undefined | "invalid" => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    io.err(`${name} must be a global position (a whole number); got "${text}"`);
    return "invalid";
  }
  return BigInt(text);
};

const audit = async (args: string[]): Promise<number> => {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      anchor: { type: "string" },
      "anchor-file": { type: "string" },
      json: { type: "boolean", default: false },
      from: { type: "string" },
      to: { type: "string" },
      out: { type: "string" },
    },
  });
  if (action === "verify") {
    const anchor = readAnchor(values.anchor, values["anchor-file"]);
    if (!anchor.ok) return 2;
    const options = anchor.anchor === undefined ? {} : { anchor: anchor.anchor };
    const print = (report: Awaited<ReturnType<typeof verifyExport>>): number => {
      io.out(values.json ? JSON.stringify(verifyReportJson(report)) : formatVerifyReport(report));
      return report.ok ? 0 : 1;
    };
    const file = positionals[0];
    if (file !== undefined) {
      return print(
        await verifyExport(
          createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }),
          options,
        ),
      );
    }
    return withStore(async (store) => print(await verifyStore(store, options)));
  }
  if (action === "export") {
    const from = parsePosition(values.from, "--from");
    const to = parsePosition(values.to, "--to");
    if (from === "invalid" || to === "invalid") return 2;
    return withStore(async (store) => {
      const out = values.out === undefined ? process.stdout : createWriteStream(values.out);
      const exported = await exportAudit(
        store,
        { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
        async (line) => {
          if (!out.write(`${line}\n`)) await once(out, "drain");
        },
      );
      if (out !== process.stdout) {
        await new Promise<void>((resolve, reject) => {
          out.end((error?: Error | null) => {
            if (error) reject(error);
            else resolve();
          });
        });
      }
      if (exported.isErr()) {
        io.err(`Export failed: ${exported.error.message}`);
        return 2;
      }
      if (values.out !== undefined) io.err(`Exported ${exported.value.events} events to ${values.out}`);
      return 0;
    });
  }
  if (action === "anchor") {
    return withStore(async (store) => {
      const report = await verifyStore(store);
      if (!report.ok) {
        io.out(formatVerifyReport(report));
        return 1;
      }
      if (values.out !== undefined) writeFileSync(values.out, anchorFileJson(report.anchor, new Date()));
      io.out(anchorLine(report.anchor));
      return 0;
    });
  }
  io.err(help.audit ?? "");
  return 2;
};

const reconcileCommand = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean", default: false },
      apply: { type: "boolean", default: false },
      "max-pages": { type: "string" },
    },
  });
  const maxPages = values["max-pages"] === undefined ? undefined : Number(values["max-pages"]);
  if (maxPages !== undefined && (!Number.isSafeInteger(maxPages) || maxPages <= 0)) {
    io.err(`--max-pages must be a positive whole number; got "${values["max-pages"] ?? ""}"`);
    return 2;
  }
  return withStore(async (store, config) => {
    const ledger = new StarsLedger(store, {
      starsToCreditsRate: config.STARS_TO_CREDITS_RATE,
      paymentTtlMs: config.PAYMENT_TTL,
      requireSameUser: config.REQUIRE_SAME_USER,
    });
    const result = await reconcile({
      store,
      ledger,
      botApi: createBotApiFromConfig(config),
      apply: values.apply,
      now: () => new Date(),
      ...(maxPages === undefined ? {} : { maxPages }),
      serviceUrl: `http://${config.HOST}:${config.PORT}`,
    });
    if (result.isErr()) {
      io.err(`Reconcile failed: ${result.error.message}`);
      return 2;
    }
    io.out(values.json ? reconcileReportJson(result.value) : formatReconcileReport(result.value));
    return result.value.ok ? 0 : 1;
  });
};

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: () => serve(),
  token,
  replay: replayCommand,
  webhook,
  stars,
  audit,
  reconcile: reconcileCommand,
};

export const main = async (argv: string[]): Promise<number> => {
  const [command, ...args] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    io.out(usage);
    return command === undefined ? 2 : 0;
  }
  const run = commands[command];
  if (run === undefined) {
    io.err(`Unknown command "${command}".\n\n${usage}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.out(help[command] ?? usage);
    return 0;
  }
  try {
    return await run(args);
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 2;
  }
};

process.exitCode = await main(process.argv.slice(2));
