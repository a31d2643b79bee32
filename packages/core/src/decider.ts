import type { Result } from "neverthrow";

/** The Decider pattern: three pure functions. No clock, randomness or I/O: those come in on the command. */
export type Decider<Command, Event extends { type: string }, State, Error> = {
  readonly initialState: State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State) => Result<Event[], Error>;
  /** The event types this decider's streams hold, so a handler can reject anything else read back. */
  readonly eventTypes: ReadonlySet<Event["type"]>;
  /**
   * The ledger-wide key an event claims (natural-keys.ts), or undefined. The handler gives a keyed event an id
   * derived from the key alone, so the store refuses it on any other stream. The state need not remember keys.
   */
  readonly naturalKeyOf?: (event: Event) => string | undefined;
};

export const fold = <Command, Event extends { type: string }, State, Error>(
  decider: Decider<Command, Event, State, Error>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState);
