import { commandHandlerConformance } from "@starledger/core/testing";
import { openTestStore, skipReason } from "./store-fixture.js";

commandHandlerConformance("postgres", openTestStore, skipReason);
