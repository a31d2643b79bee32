import { commandHandlerConformance } from "@starledger/core/testing";
import { EventStoreDbEventStore } from "../src/index.js";
import { FakeEventStoreDbClient } from "./support/fake-eventstoredb-client.js";

// The handler over the adapter and its in-process fake client (see eventstoredb-conformance.test.ts): replays are
// answered through readEventById, which scans $all on this store.
commandHandlerConformance("eventstoredb adapter over an in-process fake client", () =>
  Promise.resolve({ store: new EventStoreDbEventStore(new FakeEventStoreDbClient().asClient()) }),
);
