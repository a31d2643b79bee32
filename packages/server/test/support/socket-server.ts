import { startServer, type RunningServer, type ServeOptions } from "../../src/index.js";
import { testAuthSecret } from "./test-app.js";

/**
 * The server as the socket tests run it: on a free port, with the test AUTH_SECRET and a silent log (unless the
 * test passes a logger of its own); `env` adds to those settings or overrides them. Throws when it cannot start.
 */
export const startSocketServer = async (
  env: Readonly<Record<string, string>>,
  options: ServeOptions = {},
): Promise<RunningServer> => {
  const started = await startServer({ PORT: "0", AUTH_SECRET: testAuthSecret, LOG_LEVEL: "silent", ...env }, options);
  if (!started.ok) throw new Error(started.error.message);
  return started.server;
};
