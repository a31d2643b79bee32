import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { err, ok, type Result } from "neverthrow";
import type { Decider } from "./decider.js";
import { deterministicEventId, randomEventId } from "./event-ids.js";
import type { EventStore, ExpectedRevision, NewEvent, RecordedEvent, StoreError } from "./event-store.js";
import {
  currentSchemaVersion,
  isLedgerEventType,
  parseLedgerEvent,
  type EventParseError,
  type LedgerEvent,
} from "./events.js";
import { eventHash, genesisHash } from "./hash-chain.js";
import { naturalKeyEventId } from "./natural-keys.js";

/** How many times a command is re-read and re-decided after losing an optimistic-concurrency race. */
export const maxAppendRetries = 25;
/** Upper bound of the random pause before a retry, so racing writers spread out. */
export const maxRetryJitterMs = 5;

export type CommandContext = {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** A natural key (a charge id, an idempotency key): makes the event ids deterministic, so a retried append is recognised. */
  readonly idempotencyKey?: string;
};

export type Loaded<State> = {
  readonly state: State;
  readonly events: readonly RecordedEvent[];
  readonly revision: bigint | "no_stream";
  readonly lastHash: string;
};

/** An event as the stream recorded it, with its global position. */
export type Recorded<Event> = { readonly event: Event; readonly position: bigint };

export type Handled<State, Event> = {
  readonly state: State;
  /** The events this command appended; empty when the decision changed nothing. */
  readonly newEvents: readonly Event[];
  /** Global position of the last appended event; undefined when nothing was appended. */
  readonly position: bigint | undefined;
  readonly revision: bigint | "no_stream";
  /**
   * Set when the decision's keyed events (Decider.naturalKeyOf) were already on this stream, recorded by an
   * earlier command with the same keys: nothing was written, and these are the events as recorded then, for the
   * use case to compare with its request (the same request is a replay; another one is a conflict).
   */
  readonly alreadyRecorded?: readonly Recorded<Event>[];
};

export type RetriesExhausted = { readonly type: "RetriesExhausted"; readonly stream: string; readonly message: string };
/** A keyed event was refused because another stream already recorded its key: the use case names what that means. */
export type KeyAlreadyClaimed = {
  readonly type: "KeyAlreadyClaimed";
  readonly key: string;
  readonly stream: string;
  readonly message: string;
};
export type HandlerError = StoreError | EventParseError | RetriesExhausted | KeyAlreadyClaimed;

export type CommandHandlerOptions = {
  /** The pause before retry `attempt` (0-based) after a lost race. Default: random jitter up to maxRetryJitterMs x min(attempt + 1, 4). */
  readonly retryPause?: (attempt: number) => Promise<void>;
};

const jitteredPause = (attempt: number): Promise<void> =>
  sleep(Math.random() * maxRetryJitterMs * Math.min(attempt + 1, 4));

/** Read, decide, append with the expected revision; on a concurrency conflict re-read and retry (bounded). */
export class CommandHandler {
  private readonly retryPause: (attempt: number) => Promise<void>;

  constructor(
    private readonly store: EventStore,
    options: CommandHandlerOptions = {},
  ) {
    this.retryPause = options.retryPause ?? jitteredPause;
  }

  async load<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
  ): Promise<Result<Loaded<State>, StoreError | EventParseError>> {
    const read = await this.store.readStream(stream);
    if (read.isErr()) return err(read.error);
    let state = decider.initialState;
    let lastHash = genesisHash;
    for (const recorded of read.value.events) {
      const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
      if (!parsed.ok) return err(parsed.error);
      if (!decider.eventTypes.has(parsed.event.type)) {
        return err({ type: "EventParseError", message: `${recorded.type} does not belong on stream ${stream}` });
      }
      state = decider.evolve(state, parsed.event as Event);
      lastHash = typeof recorded.metadata.hash === "string" ? recorded.metadata.hash : lastHash;
    }
    return ok({ state, events: read.value.events, revision: read.value.revision, lastHash });
  }

  async handle<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
    command: Command,
    context: CommandContext = {},
  ): Promise<Result<Handled<State, Event>, Error | HandlerError>> {
    for (let attempt = 0; attempt <= maxAppendRetries; attempt++) {
      const loaded = await this.load(decider, stream);
      if (loaded.isErr()) return err(loaded.error);
      const { state, revision, lastHash } = loaded.value;
      const decision = decider.decide(command, state);
      if (decision.isErr()) return err(decision.error);
      const events = decision.value;
      if (events.length === 0) return ok({ state, newEvents: [], position: undefined, revision });

      const toAppend = this.toNewEvents(decider, stream, events, revision, lastHash, context);
      const keyById = keyedIds(decider, events, toAppend);
      const expected: ExpectedRevision = revision;
      const appended = await this.store.appendToStream(stream, toAppend, expected);
      if (appended.isOk()) {
        if (appended.value.alreadyRecorded !== true) {
          const next = events.reduce(decider.evolve, state);
          return ok({
            state: next,
            newEvents: events,
            position: appended.value.position,
            revision: appended.value.nextRevision,
          });
        }
        // Keyed events recorded before (a replayed request): the state may not remember the key, so show the record.
        if (keyById.size > 0) return this.alreadyRecorded(decider, stream, keyById);
        // A racer with the same natural key wrote these very events first: re-read, and the decision is "nothing to do".
        continue;
      }
      const duplicateId = appended.error.type === "DuplicateEventId" ? appended.error.eventId : undefined;
      const claimedKey = duplicateId === undefined ? undefined : keyById.get(duplicateId);
      if (claimedKey !== undefined) {
        const here = await this.store.readStream(stream);
        if (here.isErr()) return err(here.error);
        // On this stream, a racer recorded the key at another revision: re-read and decide again.
        if (here.value.events.some((e) => e.id === duplicateId)) continue;
        return err({
          type: "KeyAlreadyClaimed",
          key: claimedKey,
          stream,
          message: `${claimedKey} is already recorded on another stream than ${stream}`,
        });
      }
      if (appended.error.type !== "ConcurrencyError") return err(appended.error);
      await this.retryPause(attempt);
    }
    return err({
      type: "RetriesExhausted",
      stream,
      message: `Gave up on ${stream} after ${maxAppendRetries} concurrent-write retries`,
    });
  }

  /** The rare replay path: read the stream and find the events recorded under the keys. */
  private async alreadyRecorded<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
    keyById: ReadonlyMap<string, string>,
  ): Promise<Result<Handled<State, Event>, HandlerError>> {
    const loaded = await this.load(decider, stream);
    if (loaded.isErr()) return err(loaded.error);
    const recorded: Recorded<Event>[] = [];
    for (const event of loaded.value.events) {
      if (!keyById.has(event.id)) continue;
      const parsed = parseLedgerEvent(event.type, event.data, event.metadata.schemaVersion);
      assert.ok(parsed.ok, "an event that load() parsed no longer parses");
      recorded.push({ event: parsed.event as Event, position: event.position });
    }
    assert.ok(recorded.length > 0, "the store said the keyed events were recorded, but the stream does not hold them");
    return ok({
      state: loaded.value.state,
      newEvents: [],
      position: undefined,
      revision: loaded.value.revision,
      alreadyRecorded: recorded,
    });
  }

  private toNewEvents<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
    events: readonly Event[],
    revision: bigint | "no_stream",
    lastHash: string,
    context: CommandContext,
  ): NewEvent[] {
    const firstRevision = revision === "no_stream" ? 0n : revision + 1n;
    let prevHash = lastHash;
    return events.map((event, index) => {
      const eventRevision = firstRevision + BigInt(index);
      const hash = eventHash({ stream, revision: eventRevision, type: event.type, data: event.data, prevHash });
      const naturalKey = decider.naturalKeyOf?.(event);
      const id =
        naturalKey !== undefined
          ? naturalKeyEventId(naturalKey)
          : context.idempotencyKey === undefined
            ? randomEventId()
            : deterministicEventId(stream, `${context.idempotencyKey}@${eventRevision}`, index);
      const metadata = {
        schemaVersion: isLedgerEventType(event.type) ? currentSchemaVersion[event.type] : 1,
        ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
        ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
        prevHash,
        hash,
      };
      prevHash = hash;
      return { id, type: event.type, data: event.data, metadata };
    });
  }
}

/** Event id -> natural key, for the events of a decision that claim one. */
const keyedIds = <Command, Event extends LedgerEvent, State, Error>(
  decider: Decider<Command, Event, State, Error>,
  events: readonly Event[],
  toAppend: readonly NewEvent[],
): ReadonlyMap<string, string> => {
  const keys = new Map<string, string>();
  events.forEach((event, index) => {
    const key = decider.naturalKeyOf?.(event);
    const id = toAppend[index]?.id;
    if (key !== undefined && id !== undefined) keys.set(id, key);
  });
  return keys;
};
