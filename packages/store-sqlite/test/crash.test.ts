import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RecordedEvent } from "@starledger/core";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openSqliteEventStore } from "../src/index.js";
import { tempDatabase } from "./temp-database.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const fixture = join(packageDir, "test", "fixtures", "crash-appender.mjs");
/** Kill points, in appends reported: a few, so the kill lands at different moments of a batch. */
const killAfterReportedAppends = [57, 230, 400];
const childTimeoutMs = 20_000;

type Reported = { stream: string; ids: string[]; nextRevision: string; position: string };

/** The fixture imports dist: build it when missing or older than a source file. */
const ensureBuilt = (): void => {
  const built = join(packageDir, "dist", "index.js");
  const sources = readdirSync(join(packageDir, "src")).map((name) => statSync(join(packageDir, "src", name)).mtimeMs);
  if (existsSync(built) && Math.max(...sources) <= statSync(built).mtimeMs) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: packageDir, stdio: "inherit" });
};

/** Runs the appender until it has reported `count` appends, then SIGKILLs it. */
const appendThenKill = (path: string, count: number): Promise<Reported[]> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, path, "8"], { stdio: ["ignore", "pipe", "pipe"] });
    const reported: Reported[] = [];
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the appender reported ${reported.length} appends in ${childTimeoutMs} ms: ${stderr}`));
    }, childTimeoutMs);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (reported.length >= count) return;
      reported.push(JSON.parse(line) as Reported);
      if (reported.length === count) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL" && reported.length === count) resolve(reported);
      else reject(new Error(`the appender exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });

describe("crash safety", () => {
  let path: string;
  let cleanup: () => Promise<void>;

  beforeAll(ensureBuilt, 60_000);
  beforeEach(async () => {
    ({ path, cleanup } = await tempDatabase());
  });
  afterEach(async () => {
    await cleanup();
  });

  it.each(killAfterReportedAppends)(
    "after SIGKILL once %i appends returned, every returned append is on disk and every append is whole",
    async (killAfter) => {
      const reported = await appendThenKill(path, killAfter);
      const store = openSqliteEventStore({ path });
      try {
        const all: RecordedEvent[] = [];
        for await (const event of store.readAll()) all.push(event);
        const byId = new Map(all.map((event) => [event.id, event]));

        for (const append of reported) {
          const last = BigInt(append.nextRevision);
          append.ids.forEach((id, index) => {
            const event = byId.get(id);
            expect(event, `reported event ${id}`).toBeDefined();
            expect(event?.stream).toBe(append.stream);
            expect(event?.revision).toBe(last - BigInt(append.ids.length - 1 - index));
          });
          expect(byId.get(append.ids[append.ids.length - 1] ?? "")?.position).toBe(BigInt(append.position));
        }

        for (let i = 1; i < all.length; i++) expect((all[i]?.position ?? 0n) > (all[i - 1]?.position ?? 0n)).toBe(true);
        const streams = new Map<string, RecordedEvent[]>();
        for (const event of all) streams.set(event.stream, [...(streams.get(event.stream) ?? []), event]);
        for (const [stream, events] of streams) {
          expect(
            events.map((e) => e.revision),
            stream,
          ).toEqual(events.map((_, i) => BigInt(i)));
          const appends = new Map<number, number[]>();
          for (const { data } of events) {
            const key = Number(data.append);
            appends.set(key, [...(appends.get(key) ?? []), Number(data.index)]);
          }
          // All or nothing: each append that reached the file is there with all its events, and appends are contiguous.
          expect([...appends.keys()]).toEqual([...appends.keys()].map((_, i) => i));
          for (const [append, indexes] of appends) {
            expect(indexes, `${stream} append ${append}`).toEqual(
              Array.from({ length: 1 + (append % 3) }, (_, i) => i),
            );
          }
        }

        const [firstStream, events] = [...streams][0] ?? ["", []];
        const tail = events[events.length - 1];
        expect(tail).toBeDefined();
        const next = await store.appendToStream(
          firstStream,
          [{ id: crypto.randomUUID(), type: "AfterCrash", data: {}, metadata: { schemaVersion: 1 } }],
          tail?.revision ?? 0n,
        );
        expect(next._unsafeUnwrap().nextRevision).toBe((tail?.revision ?? 0n) + 1n);
      } finally {
        await store.close();
      }
    },
  );
});
