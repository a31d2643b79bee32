import type { Command } from "../cli-context.js";
import { shutdownGraceMs } from "../compose.js";
import { startServer } from "../serve.js";

/** Resolves with the first of SIGTERM and SIGINT (each is listened for once, as it always was). */
const shutdownSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });

export const serveCommand: Command = {
  help: `starledger serve
  Runs the server. Defaults: PAYMENT_MODE=MOCK, EVENT_STORE_URL=sqlite:./data/starledger.db, 127.0.0.1:8001.
  Prints the mode, the store, the URL and the docs URL. SIGTERM/SIGINT: finish in-flight requests (at most ${shutdownGraceMs / 1000} s), close the store.`,
  run: async (_args, { io, env, now }) => {
    const started = await startServer(env, now === undefined ? {} : { now });
    if (!started.ok) {
      io.err(started.error.message);
      return 1;
    }
    const { server } = started;
    for (const line of server.banner) io.out(line);
    const signal = await shutdownSignal();
    server.logger.info({ signal, graceMs: shutdownGraceMs }, "Shutting down: finishing in-flight requests");
    await server.close().catch((error: unknown) => {
      server.logger.error({ err: error }, "Shutdown failed");
    });
    return 0;
  },
};
