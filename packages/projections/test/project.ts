import type { LedgerEvent } from "@starledger/core";
import { LedgerReadModels, ProjectionError } from "../src/index.js";
import { History } from "./fixtures.js";

/** The read models after `events`, recorded in order on the streams they name. */
export const project = (events: readonly LedgerEvent[]): LedgerReadModels => {
  const history = new History();
  for (const event of events) history.add(event);
  const models = new LedgerReadModels();
  for (const recorded of history.events) models.apply(recorded);
  return models;
};

/** The ProjectionError the last event of `events` raises, after the others applied. */
export const failureOf = (events: readonly LedgerEvent[]): ProjectionError => {
  const history = new History();
  for (const event of events) history.add(event);
  const models = new LedgerReadModels();
  const last = history.events.pop();
  if (last === undefined) throw new Error("no events");
  for (const recorded of history.events) models.apply(recorded);
  try {
    models.apply(last);
  } catch (error) {
    if (error instanceof ProjectionError) return error;
    throw error;
  }
  throw new Error("expected a ProjectionError");
};
