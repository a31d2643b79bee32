import { eventStoreConformance } from "@starledger/core/testing";
import { openTestStore, skipReason } from "./store-fixture.js";

eventStoreConformance("postgres", openTestStore, skipReason === undefined ? {} : { skipReason });
