import assert from "node:assert/strict";
import { err, ok, type Result } from "neverthrow";
import type { Decider } from "./decider.js";
import type { EventStore, RecordedEvent, StoreError } from "./event-store.js";
import { parseLedgerEvent, type EventParseError, type LedgerEvent } from "./events.js";
import { genesisHash } from "./hash-chain.js";

/** Streams whose decided state a CommandHandler keeps; the least recently used is dropped beyond it. */
export const stateCacheStreamsMax = 10_000;

/** A stream's state as of its revision `revision`, with what the next append needs to continue the hash chain. */
export type StreamSnapshot<State> = {
  readonly state: State;
  readonly revision: bigint | "no_stream";
  /** The hash of the stream's last event; genesisHash when it is empty. */
  readonly lastHash: string;
  /** Global position of the stream's last event; undefined when it is empty. */
  readonly lastPosition: bigint | undefined;
};

export const emptySnapshot = <State>(decider: { readonly initialState: State }): StreamSnapshot<State> => ({
  state: decider.initialState,
  revision: "no_stream",
  lastHash: genesisHash,
  lastPosition: undefined,
});

/** The revision after `revision` (0n after "no_stream"). */
export const nextRevision = (revision: bigint | "no_stream"): bigint => (revision === "no_stream" ? 0n : revision + 1n);

const isNewer = (candidate: bigint | "no_stream", than: bigint | "no_stream"): boolean =>
  nextRevision(candidate) > nextRevision(than);

/** Parses a stored event for `decider`'s stream; anything it does not hold is an EventParseError. */
export const parseStreamEvent = <Event extends LedgerEvent>(
  decider: { readonly eventTypes: ReadonlySet<Event["type"]> },
  stream: string,
  recorded: RecordedEvent,
): Result<Event, EventParseError> => {
  const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
  if (!parsed.ok) return err(parsed.error);
  if (!decider.eventTypes.has(parsed.event.type)) {
    return err({ type: "EventParseError", message: `${recorded.type} does not belong on stream ${stream}` });
  }
  return ok(parsed.event as Event);
};

/** An entry belongs to the decider object that decided it: its identity, whatever its types. */
type Entry = { readonly decider: object; readonly snapshot: StreamSnapshot<unknown> };

/**
 * The decided state of recently used streams, so a command reads (and parses) only the events recorded since.
 * Keyed by stream and decider; an entry only ever moves forward (a later revision replaces an earlier one), so
 * concurrent loads and commands on one stream cannot put an older state back.
 */
export class StreamStates {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: EventStore,
    private readonly streamsMax: number,
  ) {
    assert.ok(Number.isSafeInteger(streamsMax) && streamsMax >= 0, "stateCacheStreamsMax is a whole number");
  }

  /** False when stateCacheStreamsMax is 0: nothing is kept. */
  get enabled(): boolean {
    return this.streamsMax > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  cached<State>(decider: object, stream: string): StreamSnapshot<State> | undefined {
    const entry = this.entries.get(stream);
    if (entry === undefined || entry.decider !== decider) return undefined;
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    return entry.snapshot as StreamSnapshot<State>;
  }

  remember<State>(decider: object, stream: string, snapshot: StreamSnapshot<State>): void {
    if (this.streamsMax === 0) return;
    const entry = this.entries.get(stream);
    this.entries.delete(stream);
    const keep =
      entry !== undefined && entry.decider === decider && !isNewer(snapshot.revision, entry.snapshot.revision);
    this.entries.set(stream, keep ? entry : { decider, snapshot });
    if (this.entries.size > this.streamsMax) {
      const [oldest] = this.entries.keys();
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * Reads the events recorded after `base` (the whole stream when base is the empty stream), evolves base with
   * them (only they are parsed), remembers the result and returns it with the number of events it read.
   */
  async refresh<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
    base: StreamSnapshot<State>,
  ): Promise<Result<{ snapshot: StreamSnapshot<State>; eventsRead: number }, StoreError | EventParseError>> {
    const fromRevision = nextRevision(base.revision);
    const read = await this.store.readStream(stream, { fromRevision });
    if (read.isErr()) return err(read.error);
    let { state, lastHash, lastPosition } = base;
    let expected = fromRevision;
    for (const recorded of read.value.events) {
      assert.equal(recorded.revision, expected, `${stream} was read from revision ${String(fromRevision)} with a gap`);
      expected++;
      const event = parseStreamEvent(decider, stream, recorded);
      if (event.isErr()) return err(event.error);
      state = decider.evolve(state, event.value);
      lastHash = typeof recorded.metadata.hash === "string" ? recorded.metadata.hash : lastHash;
      lastPosition = recorded.position;
    }
    const eventsRead = read.value.events.length;
    const revision = eventsRead === 0 ? base.revision : expected - 1n;
    assert.equal(read.value.revision, revision, `${stream} read back a revision its events do not end at`);
    const snapshot = { state, revision, lastHash, lastPosition };
    this.remember(decider, stream, snapshot);
    return ok({ snapshot, eventsRead });
  }
}
