import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import {
  anchorFileJson,
  anchorLine,
  exportAudit,
  formatVerifyReport,
  parseAnchor,
  verifyExport,
  verifyReportJson,
  verifyStore,
  type ParsedAnchor,
} from "@starledger/audit";
import { withStore, type CliContext, type Command, type Io } from "../cli-context.js";

const help = `starledger audit verify [FILE] [--anchor LINE] [--anchor-file F] [--json]
  Without FILE: recomputes every hash chain in the configured store. With FILE: verifies an export offline,
  with no store (edited, deleted, inserted, reordered or truncated events are caught). --anchor / --anchor-file:
  also prove that nothing that existed when the anchor was taken has changed. Exit 0 intact, 1 broken.
starledger audit export [--from POS] [--to POS] [--out FILE]
  NDJSON in global order, one event per line, then a summary line (stream heads, counts, file digest).
starledger audit anchor [--out FILE]
  Verifies the store, then prints one line "sl-anchor-v1:<position>:<digest>" to keep somewhere the operator
  cannot write; --out also saves the per-stream heads, so a later verify can name the stream that changed.
See docs/AUDIT.md for what these prove and what they do not.`;

type AuditOptions = {
  anchor?: string | undefined;
  "anchor-file"?: string | undefined;
  json: boolean;
  from?: string | undefined;
  to?: string | undefined;
  out?: string | undefined;
};

const readAnchor = (
  io: Io,
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

const parsePosition = (io: Io, text: string | undefined, name: string): bigint | undefined | "invalid" => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    io.err(`${name} must be a global position (a whole number); got "${text}"`);
    return "invalid";
  }
  return BigInt(text);
};

const verify = async (ctx: CliContext, values: AuditOptions, file: string | undefined): Promise<number> => {
  const anchor = readAnchor(ctx.io, values.anchor, values["anchor-file"]);
  if (!anchor.ok) return 2;
  const options = anchor.anchor === undefined ? {} : { anchor: anchor.anchor };
  const print = (report: Awaited<ReturnType<typeof verifyExport>>): number => {
    ctx.io.out(values.json ? JSON.stringify(verifyReportJson(report)) : formatVerifyReport(report));
    return report.ok ? 0 : 1;
  };
  if (file !== undefined) {
    return print(
      await verifyExport(
        createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }),
        options,
      ),
    );
  }
  return withStore(ctx, async (store) => print(await verifyStore(store, options)));
};

const endStream = (out: Writable): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    out.end((error?: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });

const exportEvents = async (ctx: CliContext, values: AuditOptions): Promise<number> => {
  const from = parsePosition(ctx.io, values.from, "--from");
  const to = parsePosition(ctx.io, values.to, "--to");
  if (from === "invalid" || to === "invalid") return 2;
  return withStore(ctx, async (store) => {
    const out = values.out === undefined ? ctx.io.stdout : createWriteStream(values.out);
    const exported = await exportAudit(
      store,
      { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
      async (line) => {
        if (!out.write(`${line}\n`)) await once(out, "drain");
      },
    );
    if (out !== ctx.io.stdout) await endStream(out);
    if (exported.isErr()) {
      ctx.io.err(`Export failed: ${exported.error.message}`);
      return 2;
    }
    if (values.out !== undefined) ctx.io.err(`Exported ${exported.value.events} events to ${values.out}`);
    return 0;
  });
};

const anchorStore = (ctx: CliContext, values: AuditOptions): Promise<number> =>
  withStore(ctx, async (store) => {
    const report = await verifyStore(store);
    if (!report.ok) {
      ctx.io.out(formatVerifyReport(report));
      return 1;
    }
    if (values.out !== undefined)
      writeFileSync(values.out, anchorFileJson(report.anchor, (ctx.now ?? (() => new Date()))()));
    ctx.io.out(anchorLine(report.anchor));
    return 0;
  });

export const auditCommand: Command = {
  help,
  run: async (args, ctx) => {
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
    if (action === "verify") return verify(ctx, values, positionals[0]);
    if (action === "export") return exportEvents(ctx, values);
    if (action === "anchor") return anchorStore(ctx, values);
    ctx.io.err(help);
    return 2;
  },
};
