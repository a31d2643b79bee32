import assert from "node:assert/strict";
import { err, ok, type Result } from "neverthrow";
import type { Handled, HandlerError, KeyAlreadyClaimed, Recorded, RetriesExhausted } from "./command-handler.js";
import type { Decider } from "./decider.js";
import type { AppendResult, EventStore, NewEvent, RecordedEvent, StoreError } from "./event-store.js";
import type { EventParseError, LedgerEvent } from "./events.js";
import { keyedIds, toNewEvents, type CommandContext } from "./new-events.js";
import {
  emptySnapshot,
  nextRevision,
  parseStreamEvent,
  type StreamSnapshot,
  type StreamStates,
} from "./stream-states.js";

/** A decider whose types the lane does not know: the job's caller does, and gets its own types back. */
export type ErasedDecider = Decider<unknown, LedgerEvent, unknown, unknown>;
export type Outcome = Result<Handled<unknown, LedgerEvent>, unknown>;

/** A command waiting in its stream's lane; settled (or failed, when a decider throws) exactly once. */
export type Job = {
  readonly decider: ErasedDecider;
  readonly stream: string;
  readonly command: unknown;
  readonly context: CommandContext;
  readonly settle: (outcome: Outcome) => void;
  readonly fail: (thrown: unknown) => void;
};

/**
 * Where a decision stands: a snapshot of the stream, whether it was read or written while handling this command
 * (`fresh`: a refusal on it is final), and whether it is only a guess that the stream is new.
 */
export type Footing = {
  readonly snapshot: StreamSnapshot<unknown>;
  readonly fresh: boolean;
  readonly guessed: boolean;
};

export type RunnerSettings = {
  readonly retryPause: (attempt: number) => Promise<void>;
  readonly maxAppendRetries: number;
};

export const unchanged = (at: StreamSnapshot<unknown>): Handled<unknown, LedgerEvent> => ({
  state: at.state,
  newEvents: [],
  position: undefined,
  revision: at.revision,
});

export const retriesExhausted = (stream: string, retries: number): RetriesExhausted => ({
  type: "RetriesExhausted",
  stream,
  message: `Gave up on ${stream} after ${retries} concurrent-write retries`,
});

export const keyAlreadyClaimed = (key: string, stream: string): KeyAlreadyClaimed => ({
  type: "KeyAlreadyClaimed",
  key,
  stream,
  message: `${key} is already recorded on another stream than ${stream}`,
});

/** The snapshot after an append of `events` (as `toAppend`) on `base`. */
export const advance = (
  decider: ErasedDecider,
  base: StreamSnapshot<unknown>,
  events: readonly LedgerEvent[],
  toAppend: readonly NewEvent[],
  appended: AppendResult,
): StreamSnapshot<unknown> => {
  const revision = nextRevision(base.revision) + BigInt(events.length) - 1n;
  assert.equal(appended.nextRevision, revision, "the store appended at another revision than expected");
  return {
    state: events.reduce(decider.evolve, base.state),
    revision,
    lastHash: toAppend[toAppend.length - 1]?.metadata.hash ?? base.lastHash,
    lastPosition: appended.position,
  };
};

/** Runs one command on its stream, and the steps a batch of them shares (command-batch.ts). */
export class CommandRunner {
  constructor(
    readonly store: EventStore,
    readonly states: StreamStates,
    readonly settings: RunnerSettings,
  ) {}

  /** A command starts from its stream's cached state; uncached, from a guess that the stream is new (a read when the cache is off). */
  async start(decider: ErasedDecider, stream: string): Promise<Result<Footing, StoreError | EventParseError>> {
    const cached = this.states.cached<unknown>(decider, stream);
    if (cached !== undefined) return ok({ snapshot: cached, fresh: false, guessed: false });
    if (this.states.enabled) return ok({ snapshot: emptySnapshot(decider), fresh: false, guessed: true });
    return this.refresh(decider, stream, emptySnapshot(decider)).then((read) => read.map(({ at }) => at));
  }

  /** Reads the events recorded after `base`; `grew` when there were any. */
  async refresh(
    decider: ErasedDecider,
    stream: string,
    base: StreamSnapshot<unknown>,
  ): Promise<Result<{ at: Footing; grew: boolean }, StoreError | EventParseError>> {
    const read = await this.states.refresh(decider, stream, base);
    return read.map(({ snapshot, eventsRead }) => ({
      at: { snapshot, fresh: true, guessed: false },
      grew: eventsRead > 0,
    }));
  }

  /** One command: decide, append with the expected revision, and on a lost race read what is new and decide again. */
  async runOne(job: Job): Promise<Outcome> {
    const { decider, stream, command, context } = job;
    const started = await this.start(decider, stream);
    if (started.isErr()) return err(started.error);
    let at = started.value;
    for (let appends = 0; ;) {
      const decision = decider.decide(command, at.snapshot.state);
      if (decision.isErr() || decision.value.length === 0) {
        if (!at.fresh) {
          // Refused, or nothing to do, on a state another instance may have moved on from: look before answering.
          const read = await this.refresh(decider, stream, at.snapshot);
          if (read.isErr()) return err(read.error);
          at = read.value.at;
          if (read.value.grew) continue;
        }
        return decision.isErr() ? err(decision.error) : ok(unchanged(at.snapshot));
      }
      if (appends > this.settings.maxAppendRetries) {
        return err(retriesExhausted(stream, this.settings.maxAppendRetries));
      }
      const events = decision.value;
      const toAppend = toNewEvents(decider, stream, events, at.snapshot, context);
      const keyById = keyedIds(decider, events, toAppend);
      const appended = await this.store.appendToStream(stream, toAppend, at.snapshot.revision);
      appends++;
      if (appended.isOk() && appended.value.alreadyRecorded !== true) {
        const after = advance(decider, at.snapshot, events, toAppend, appended.value);
        this.states.remember(decider, stream, after);
        return ok({
          state: after.state,
          newEvents: events,
          position: appended.value.position,
          revision: after.revision,
        });
      }
      const failure = appended.isErr() ? appended.error : undefined;
      const caughtUp = await this.catchUp(decider, stream, at, failure, appends);
      if (caughtUp.isErr()) return err(caughtUp.error);
      at = caughtUp.value.at;
      if (caughtUp.value.decideAgain) continue;
      // Decided on the stream as it is: what the store said stands.
      if (failure === undefined) {
        // Keyed events recorded before (a replayed request): the state may not remember the key, so show the record.
        if (keyById.size > 0) return this.alreadyRecorded(decider, stream, at, keyById);
      } else {
        const stop = await this.refusalOutcome(stream, failure, keyById);
        if (stop !== undefined) return err(stop);
      }
      // A racer wrote these very ids, or recorded the key on this stream: look again next time round.
      at = { ...at, fresh: false };
    }
  }

  /**
   * After an append that wrote nothing (`failure`, or undefined when its events were already recorded): a lost race,
   * or a decision on a state that may be behind the stream (a cached or guessed one), is decided again on the newer
   * events, after a little pause for a race so racers spread out. Otherwise the outcome stands as the store said.
   */
  async catchUp(
    decider: ErasedDecider,
    stream: string,
    at: Footing,
    failure: StoreError | undefined,
    attempts: number,
  ): Promise<Result<{ at: Footing; decideAgain: boolean }, StoreError | EventParseError>> {
    const lostRace = failure?.type === "ConcurrencyError";
    if (!lostRace && at.fresh) return ok({ at, decideAgain: false });
    if (lostRace && !at.guessed) await this.settings.retryPause(attempts - 1);
    const read = await this.refresh(decider, stream, at.snapshot);
    return read.map(({ at: current, grew }) => ({ at: current, decideAgain: lostRace || grew }));
  }

  /**
   * What an append refused on the current state means: undefined when a racer recorded the decision's key on this
   * stream (decide again); KeyAlreadyClaimed when another stream holds it; otherwise the store's error.
   */
  async refusalOutcome(
    stream: string,
    error: StoreError,
    keyById: ReadonlyMap<string, string>,
  ): Promise<HandlerError | undefined> {
    const claimedKey = error.type === "DuplicateEventId" ? keyById.get(error.eventId) : undefined;
    if (error.type !== "DuplicateEventId" || claimedKey === undefined) return error;
    const holder = await this.store.readEventById(error.eventId);
    if (holder.isErr()) return holder.error;
    if (holder.value?.stream === stream) return undefined;
    return keyAlreadyClaimed(claimedKey, stream);
  }

  /**
   * The replay path: the keyed events as recorded, found by id (`known` holds those already read), and the stream's
   * state including them.
   */
  async alreadyRecorded(
    decider: ErasedDecider,
    stream: string,
    at: Footing,
    keyById: ReadonlyMap<string, string>,
    known: ReadonlyMap<string, RecordedEvent> = new Map(),
  ): Promise<Outcome> {
    const recorded: Recorded<LedgerEvent>[] = [];
    let lastRevision = -1n;
    for (const id of keyById.keys()) {
      const found = known.has(id) ? ok(known.get(id)) : await this.store.readEventById(id);
      if (found.isErr()) return err(found.error);
      const event = found.value;
      assert.ok(
        event?.stream === stream,
        `the store said keyed events were recorded on ${stream}, but does not hold them there`,
      );
      const parsed = parseStreamEvent(decider, stream, event);
      if (parsed.isErr()) return err(parsed.error);
      recorded.push({ event: parsed.value, position: event.position });
      if (event.revision > lastRevision) lastRevision = event.revision;
    }
    let current = at.snapshot;
    if (!at.fresh || nextRevision(current.revision) <= lastRevision) {
      const read = await this.refresh(decider, stream, current);
      if (read.isErr()) return err(read.error);
      current = read.value.at.snapshot;
    }
    return ok({ ...unchanged(current), alreadyRecorded: recorded });
  }
}
