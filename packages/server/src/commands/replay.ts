import { parseArgs } from "node:util";
import { replay } from "@starledger/projections";
import { withStore, type Command } from "../cli-context.js";
import { describeStoreUrl } from "../open-event-store.js";

export const replayCommand: Command = {
  help: `starledger replay [--json]
  Rebuilds every read model from position 0 of the configured store and prints: events, payments by status,
  users, totalCredits (sum of balances), revenueStars and creditsIssued. --json: one JSON object.
  A read model that cannot apply an event stops there, as on the server: it is named on stderr (and in
  --json "stopped"), its totals stop at that event, and the exit code is 1.`,
  run: async (args, ctx) => {
    const { io } = ctx;
    const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
    return withStore(ctx, async (store, config) => {
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
  },
};
