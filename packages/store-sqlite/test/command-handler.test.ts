import { commandHandlerConformance } from "@starledger/core/testing";
import { openSqliteEventStore } from "../src/index.js";
import { tempDatabase } from "./temp-database.js";

commandHandlerConformance("sqlite", async () => {
  const { path, cleanup } = await tempDatabase();
  return { store: openSqliteEventStore({ path }), cleanup };
});
