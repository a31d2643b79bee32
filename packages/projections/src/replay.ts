import type { EventStore } from "@starledger/core";
import { LedgerReadModels } from "./read-models.js";

export type ReplayResult = {
  readonly models: LedgerReadModels;
  /** Events read, ledger and foreign. */
  readonly eventCount: number;
  /** Position of the last event read; 0n for an empty store. */
  readonly position: bigint;
};

/**
 * Rebuilds every read model from position 0 of any store. Throws ProjectionError at the first event
 * that cannot be applied, and StoreUnavailableError when the store fails mid-read.
 */
export const replay = async (store: EventStore): Promise<ReplayResult> => {
  const models = new LedgerReadModels();
  for await (const event of store.readAll({ after: 0n })) models.apply(event);
  return { models, eventCount: models.eventCount, position: models.position };
};
