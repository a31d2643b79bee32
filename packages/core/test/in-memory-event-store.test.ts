import { InMemoryEventStore } from "../src/index.js";
import { eventStoreConformance } from "../src/testing/index.js";

eventStoreConformance("in-memory", () => Promise.resolve({ store: new InMemoryEventStore() }));
