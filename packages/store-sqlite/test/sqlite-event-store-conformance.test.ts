import { eventStoreConformance } from "@starledger/core/testing";
import { openSqliteEventStore } from "../src/index.js";
import { tempDatabase } from "./temp-database.js";

eventStoreConformance("sqlite", async () => {
  const { path, cleanup } = await tempDatabase();
  return { store: openSqliteEventStore({ path }), cleanup };
});

eventStoreConformance("sqlite, synchronous=NORMAL, small pages", async () => {
  const { path, cleanup } = await tempDatabase();
  return { store: openSqliteEventStore({ path, synchronous: "NORMAL", readPageSizeEvents: 3 }), cleanup };
});
