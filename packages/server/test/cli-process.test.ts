import { realpathSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { issueToken } from "@starledger/http-adapter";
import { FakeBotApiServer } from "@starledger/telegram-adapter/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertDistIsFresh, cliPath, runCli, runProgram, ServeProcess } from "./support/cli-process.js";
import { eventually, fetchJson, runbookCreateBody, type BalanceBody } from "./support/http-client.js";
import { SlowClient } from "./support/slow-client.js";
import { testAuthSecret, testBotToken } from "./support/test-app.js";

// The CLI as a process, where only a process will do: the linked bin, serve and its signals.

const hourMs = 60 * 60 * 1000;
const repositoryDir = join(import.meta.dirname, "../../..");
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "starledger-cli-"));
  dirs.push(dir);
  return dir;
};
const running: ServeProcess[] = [];
const serve = async (env: Record<string, string>): Promise<ServeProcess> => {
  const server = await ServeProcess.start(env);
  running.push(server);
  return server;
};

beforeAll(() => {
  assertDistIsFresh();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? "";

/** Runs `starledger <argv>` through main() in a fresh node, and lists the store drivers (CommonJS) it loaded. */
const driversLoadedBy = async (argv: readonly string[], env: Record<string, string>) => {
  const script = `
    const { createRequire } = await import("node:module");
    const { main } = await import(${JSON.stringify(pathToFileURL(join(repositoryDir, "packages/server/dist/index.js")).href)});
    const io = { out: () => undefined, err: (line) => process.stderr.write(line + "\\n"), stdout: process.stdout };
    const code = await main(${JSON.stringify(argv)}, { io, env: ${JSON.stringify(env)} });
    const drivers = Object.keys(createRequire(process.cwd() + "/").cache)
      .map((path) => /node_modules\\/(better-sqlite3|pg|@eventstore\\/db-client)\\//.exec(path)?.[1])
      .filter((name) => name !== undefined);
    console.log(JSON.stringify({ code, drivers: [...new Set(drivers)].sort() }));
  `;
  const run = await runProgram(process.execPath, ["--input-type=module", "-e", script]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { code: number; drivers: string[] };
};

describe("npx starledger", () => {
  it("is @starledger/server's bin, linked by npm install: it runs the built CLI and prints the usage", async () => {
    const linked = join(repositoryDir, "node_modules", ".bin", "starledger");
    expect(realpathSync(linked)).toBe(join(repositoryDir, "packages", "server", "bin", "starledger.js"));
    const run = await runProgram(linked, ["--help"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Usage: starledger <command>");
    expect(cliPath).toBe(join(repositoryDir, "packages", "server", "dist", "bin.js"));
  });

  it("reads every store's settings without loading a store driver: only the store it opens loads its own", async () => {
    const env = {
      EVENT_STORE_URL: `sqlite:${join(tempDir(), "l.db")}`,
      AUTH_SECRET: testAuthSecret,
      LOG_LEVEL: "silent",
    };
    expect(await driversLoadedBy(["token", "--user", "1"], env)).toEqual({ code: 0, drivers: [] });
    expect(await driversLoadedBy(["replay"], env)).toEqual({ code: 0, drivers: ["better-sqlite3"] });
  });
});

describe("starledger serve", () => {
  it("REAL mode without WEBHOOK_SECRET starts with ALLOW_INSECURE_WEBHOOK=1 and warns that anyone may post updates", async () => {
    const env = {
      PAYMENT_MODE: "REAL",
      MASTER_BOT_TOKEN: testBotToken,
      AUTH_SECRET: testAuthSecret,
      EVENT_STORE_URL: "memory:",
      PORT: "0",
    };
    const insecure = await serve({ ...env, ALLOW_INSECURE_WEBHOOK: "1", LOG_LEVEL: "warn" });
    await insecure.waitForStdout(/^ {2}mode: {2}REAL$/m);
    expect(insecure.stdout).toContain("accepts updates from anyone");
    expect((await insecure.stop("SIGTERM")).code).toBe(0);
  });

  it("MOCK mode without AUTH_SECRET prints a dev-token curl line whose token works, the same secret `token` uses; SIGTERM exits 0", async () => {
    const dir = tempDir();
    const env = { EVENT_STORE_URL: `sqlite:${join(dir, "l.db")}` };
    const server = await serve(env);
    const [, devToken = "", balanceUrl = ""] = await server.waitForStdout(
      /curl -H "Authorization: Bearer (\S+)" (http:\/\/\S+\/api\/credits\/balance)/,
    );
    expect(balanceUrl).toBe(`${server.url}/api/credits/balance`);
    const balance = await fetchJson<BalanceBody>(balanceUrl, { token: devToken });
    expect(balance.status).toBe(200);
    expect(balance.body).toEqual({ userId: 1, credits: 0 });
    expect((await fetchJson(`${server.url}/api/payments/admin/stats`, { token: devToken })).status).toBe(200);

    const minted = await runCli(["token", "--user", "9"], env);
    expect(minted.code, minted.stderr).toBe(0);
    expect((await fetchJson<BalanceBody>(balanceUrl, { token: lastLine(minted.stdout) })).body).toEqual({
      userId: 9,
      credits: 0,
    });

    expect(await server.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });

  it("SIGTERM exits 0 while a slow client holds a connection: after the grace period the server closes it", async () => {
    const server = await serve({ EVENT_STORE_URL: "memory:", AUTH_SECRET: testAuthSecret, LOG_LEVEL: "info" });
    const client = await SlowClient.start(server.url);
    try {
      await server.waitForStdout(/"msg":"incoming request"/); // its headers are in: the connection is busy
      expect(await server.stop("SIGTERM")).toEqual({ code: 0, signal: null });
      expect((await client.ended).closedByServer).toBe(true);
      expect(server.stdout).toContain("Shutdown grace period over: closing the connections still open");
    } finally {
      client.destroy();
    }
  }, 60_000);

  it("SIGTERM finishes the request in flight, then exits 0; no secret reaches the log", async () => {
    const fake = new FakeBotApiServer();
    await fake.start();
    try {
      const webhookSecret = "s3cret-for-serve";
      const server = await serve({
        PAYMENT_MODE: "REAL",
        MASTER_BOT_TOKEN: testBotToken,
        TELEGRAM_API_ROOT: fake.root,
        WEBHOOK_SECRET: webhookSecret,
        AUTH_SECRET: testAuthSecret,
        EVENT_STORE_URL: `sqlite:${join(tempDir(), "l.db")}`,
        LOG_LEVEL: "trace",
      });
      const token = await issueToken({ userId: 77, admin: false, ttlMs: hourMs }, testAuthSecret);
      const release = fake.hold("createInvoiceLink");
      const inFlight = fetchJson<{ paymentId: string; invoiceLink: string }>(`${server.url}/api/payments/create`, {
        token,
        body: runbookCreateBody,
      });
      await eventually(
        () => Promise.resolve(fake.callsOf("createInvoiceLink").length > 0 ? true : undefined),
        "createInvoiceLink to reach Telegram",
      );
      server.child.kill("SIGTERM");
      await server.waitForStdout(/Shutting down: finishing in-flight requests/);
      release();
      const created = await inFlight;
      expect(created.status, created.text).toBe(201);
      expect(created.body.invoiceLink).toBe(`https://t.me/$fake_${created.body.paymentId}`);
      expect(await server.exited).toEqual({ code: 0, signal: null });

      const jsonLines = server.stdout.split("\n").filter((line) => line.startsWith("{"));
      expect(jsonLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain("Payment record created");
      const logText = jsonLines.join("\n") + server.stderr;
      for (const secret of [token, testBotToken, webhookSecret, testAuthSecret]) expect(logText).not.toContain(secret);
    } finally {
      await fake.stop();
    }
  });
});
