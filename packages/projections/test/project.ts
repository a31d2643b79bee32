import type { LedgerEvent } from "@starledger/core";
import { expect } from "vitest";
import { LedgerReadModels, type ReadModelStop } from "../src/index.js";
import { History } from "./fixtures.js";

/** The read models after `events`, recorded in order on the streams they name. */
export const project = (events: readonly LedgerEvent[]): LedgerReadModels => {
  const history = new History();
  for (const event of events) history.add(event);
  const models = new LedgerReadModels();
  for (const recorded of history.events) models.apply(recorded);
  return models;
};

/** The stop the last event of `events` causes, after the others applied: one model stops, at that event. */
export const stopOf = (events: readonly LedgerEvent[]): ReadModelStop => {
  const history = new History();
  for (const event of events) history.add(event);
  const models = new LedgerReadModels();
  const last = history.events.pop();
  if (last === undefined) throw new Error("no events");
  for (const recorded of history.events) models.apply(recorded);
  expect(models.stopped()).toEqual([]);
  expect(models.apply(last)).toBe(true);
  const stops = models.stopped();
  expect(stops).toHaveLength(1);
  expect(stops[0]?.position).toBe(last.position);
  if (stops[0] === undefined) throw new Error("expected a stopped model");
  return stops[0];
};
