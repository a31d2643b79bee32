import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runExample } from "../src/embedded-ledger.js";

const dirs: string[] = [];
const tempDb = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "starledger-example-"));
  dirs.push(dir);
  return join(dir, "example.db");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the embedded-ledger example", () => {
  it("credits a retried payment once and replay shows 250 credits", async () => {
    const lines: string[] = [];
    const result = await runExample(tempDb(), (line) => lines.push(line));
    expect(result).toEqual({ credits: 250, events: 3 });
    expect(lines).toContain("delivery 1 of the charge: paid");
    expect(lines).toContain("delivery 2 of the charge: duplicate");
  });

  it("runs as a program from its build", () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, "../dist/main.js"), tempDb()], {
      encoding: "utf8",
    });
    expect(out).toMatch(/pre-checkout: approved/);
    expect(out).toMatch(/user 512345678 has 250 credits/);
  });
});
