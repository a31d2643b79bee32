import { main } from "./cli.js";
import { processIo } from "./cli-context.js";

process.exitCode = await main(process.argv.slice(2), { io: processIo, env: process.env });
