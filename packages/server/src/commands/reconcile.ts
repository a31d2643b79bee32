import { parseArgs } from "node:util";
import { formatReconcileReport, reconcile, reconcileReportJson } from "@starledger/audit";
import { withLedger, type Command } from "../cli-context.js";

export const reconcileCommand: Command = {
  help: `starledger reconcile [--json] [--apply] [--max-pages N]
  Reads all of getStarTransactions (100 per page) and compares them with the ledger: charges the ledger never
  credited, payments Telegram does not have, amount mismatches, refunds, extra and unmatched charges, totals.
  --apply records a lost successful payment of a still-pending invoice through the webhook's idempotent path.
  Exit 0 when everything matches, 1 when not.`,
  run: async (args, ctx) => {
    const { io } = ctx;
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
    return withLedger(ctx, async ({ config, rawStore, ledger, botApi, now }) => {
      const result = await reconcile({
        store: rawStore,
        ledger,
        botApi,
        apply: values.apply,
        now,
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
  },
};
