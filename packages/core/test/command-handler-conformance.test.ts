import { InMemoryEventStore } from "../src/index.js";
import { commandHandlerConformance } from "../src/testing/index.js";

commandHandlerConformance("memory", () => Promise.resolve({ store: new InMemoryEventStore() }));
