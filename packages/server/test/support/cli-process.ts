import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const packagesDir = join(packageDir, "..");
export const cliPath = join(packageDir, "dist", "bin.js");

const newestMtimeMs = (dir: string): number =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestMtimeMs(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );

/** The workspace packages the CLI runs (their dist/, not their src/): this one and every @starledger dependency. */
const runPackages = (): string[] => {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  return [
    "server",
    ...Object.keys(manifest.dependencies)
      .filter((name) => name.startsWith("@starledger/"))
      .map((name) => name.slice("@starledger/".length)),
  ];
};

/**
 * The process tests run the built CLI, and it runs the other packages' builds: refuse to test a dist older than its
 * src, rather than pass (or fail) on stale code.
 */
export const assertDistIsFresh = (): void => {
  for (const name of runPackages()) {
    const dir = join(packagesDir, name);
    const entry = join(dir, "dist", name === "server" ? "bin.js" : "index.js");
    let builtMs: number;
    try {
      builtMs = statSync(entry).mtimeMs;
    } catch {
      throw new Error(`${entry} is missing: run "npx turbo run build" first`);
    }
    if (newestMtimeMs(join(dir, "src")) > builtMs) {
      throw new Error(`packages/${name}/dist is older than its src/: run "npx turbo run build" first`);
    }
  }
};

/** Only what the CLI needs: nothing leaks in from the developer's shell (PAYMENT_MODE, DATABASE_URL...). */
const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", LOG_LEVEL: "silent" });

export type Exit = {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
};

export type RunOptions = {
  /** Default 20 s: the process is killed and the test fails after it. */
  readonly timeoutMs?: number;
  /** Default: this process's working directory. */
  readonly cwd?: string;
};

/**
 * Runs `file args` to completion (asynchronously, so a fake server in this process can answer it), with only PATH,
 * LOG_LEVEL=silent and `env` in its environment.
 */
export const runProgram = (
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  options: RunOptions = {},
): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const child = spawn(file, args, {
      env: { ...baseEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${file} ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });

/** Runs the built `starledger <args>` to completion, in a clean environment (see runProgram). */
export const runCli = (
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  options: RunOptions = {},
): Promise<Exit> => runProgram(process.execPath, [cliPath, ...args], env, options);

/** `starledger serve` as a child process. */
export class ServeProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.exited = exited;
  }

  /** Starts `serve` and resolves once the "starledger listening on <url>" banner is on stdout. */
  static start(env: Readonly<Record<string, string>>, timeoutMs = 20_000): Promise<ServeProcess> {
    const child = spawn(process.execPath, [cliPath, "serve"], {
      env: { ...baseEnv(), PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { stdout: "", stderr: "" };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on("close", (code, signal) => {
        resolve({ code, signal });
      });
    });
    return new Promise((resolve, reject) => {
      let started: ServeProcess | undefined;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(
            `serve printed no banner within ${timeoutMs} ms\nstdout: ${output.stdout}\nstderr: ${output.stderr}`,
          ),
        );
      }, timeoutMs);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output.stdout += chunk;
        if (started !== undefined) {
          started.stdout = output.stdout;
          return;
        }
        const match = /^starledger listening on (http:\/\/\S+)$/m.exec(output.stdout);
        if (match?.[1] === undefined) return;
        clearTimeout(timer);
        started = new ServeProcess(child, match[1], exited);
        started.stdout = output.stdout;
        started.stderr = output.stderr;
        resolve(started);
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        output.stderr += chunk;
        if (started !== undefined) started.stderr = output.stderr;
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (started === undefined)
          reject(
            new Error(
              `serve exited (${code ?? signal ?? "?"}) before listening\nstdout: ${output.stdout}\nstderr: ${output.stderr}`,
            ),
          );
      });
    });
  }

  /** Waits until stdout matches `pattern` (banner lines after the first may arrive in later chunks). */
  async waitForStdout(pattern: RegExp, timeoutMs = 5_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match !== null) return match;
      if (Date.now() > deadline)
        throw new Error(
          `stdout did not match ${String(pattern)} within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
