import { runExample } from "./embedded-ledger.js";

const path = process.argv[2] ?? "./data/example.db";
await runExample(path, (line) => {
  console.log(line);
});
