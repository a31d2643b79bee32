import { Writable } from "node:stream";
import { main, type Io } from "../../src/index.js";

export type MainRun = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** An Io that keeps what a command writes: lines and streamed output in one stdout, as a terminal would show it. */
export const captureIo = (): { io: Io; output: { stdout: string; stderr: string } } => {
  const output = { stdout: "", stderr: "" };
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      output.stdout += chunk.toString();
      done();
    },
  });
  const io: Io = {
    out: (line) => (output.stdout += `${line}\n`),
    err: (line) => (output.stderr += `${line}\n`),
    stdout,
  };
  return { io, output };
};

/**
 * Runs `starledger <argv>` in this process through main(), with only `env` for settings (LOG_LEVEL=silent unless it
 * says otherwise): nothing leaks in from the developer's shell.
 */
export const runMain = async (
  argv: readonly string[],
  env: Readonly<Record<string, string>> = {},
  now?: () => Date,
): Promise<MainRun> => {
  const { io, output } = captureIo();
  const code = await main(argv, { io, env: { LOG_LEVEL: "silent", ...env }, ...(now === undefined ? {} : { now }) });
  return { code, ...output };
};
