import type { EventStore } from "@starledger/core";
import { LedgerReadModels, type ReadModelStop } from "./read-models.js";

export type ReplayResult = {
  readonly models: LedgerReadModels;
  /** Events read, ledger and foreign. */
  readonly eventCount: number;
  /** Position of the last event read; 0n for an empty store. */
  readonly position: bigint;
  /** The read models that stopped on an event they could not apply, as a live runner would: empty when none did. */
  readonly stopped: readonly ReadModelStop[];
};

/**
 * Rebuilds every read model from position 0 of any store. A model that cannot apply an event stops there and
 * is reported in `stopped` (the others go on to the end); throws StoreUnavailableError when the store fails mid-read.
 */
export const replay = async (store: EventStore): Promise<ReplayResult> => {
  const models = new LedgerReadModels();
  for await (const event of store.readAll({ after: 0n })) models.apply(event);
  return { models, eventCount: models.eventCount, position: models.position, stopped: models.stopped() };
};
