import { expect } from "vitest";
import type { Decider } from "../decider.js";

/**
 * Decider tests that read like the rule they prove:
 * given(paymentDecider, [created, approved]).when(successfulPayment).then([paid])
 */
export const given = <Command, Event extends { type: string }, State, Error>(
  decider: Decider<Command, Event, State, Error>,
  history: readonly Event[],
) => ({
  when: (command: Command) => {
    const state = history.reduce(decider.evolve, decider.initialState);
    const decision = decider.decide(command, state);
    return {
      then: (expected: readonly Event[]): void => {
        if (decision.isErr()) throw new Error(`expected events, got error ${JSON.stringify(decision.error)}`);
        expect(decision.value).toEqual(expected);
      },
      thenFails: (expected: Partial<Error> & { type: string }): void => {
        if (decision.isOk())
          throw new Error(`expected error ${expected.type}, got events ${JSON.stringify(decision.value)}`);
        expect(decision.error).toMatchObject(expected);
      },
      /** The resulting state after applying the decided events. */
      state: (): State => {
        if (decision.isErr()) throw new Error(`expected events, got error ${JSON.stringify(decision.error)}`);
        return decision.value.reduce(decider.evolve, state);
      },
    };
  },
});
