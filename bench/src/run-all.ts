// npm run bench: every benchmark in one run, each printing its own table; then all figures as one JSON object.
// Figures are measured on this machine in this run; ratios compare runs made side by side.
import { runPostgresStoreBench } from "./postgres-store.js";
import { runProjectionsBench } from "./projections.js";
import { runSqliteStoreBench } from "./sqlite-store.js";

const benches: [string, () => Promise<Record<string, number>>][] = [
  ["sqlite-store", runSqliteStoreBench],
  ["postgres-store", runPostgresStoreBench],
  ["projections", runProjectionsBench],
];

const only = process.argv.slice(2);
const results: Record<string, Record<string, number> | { error: string }> = {};
let failed = false;
for (const [name, run] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  try {
    results[name] = await run();
  } catch (error) {
    failed = true;
    results[name] = { error: error instanceof Error ? error.message : String(error) };
    console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
console.log("\n=== all figures ===");
console.log(JSON.stringify(results, null, 2));
process.exitCode = failed ? 1 : 0;
