import { setTimeout as sleep } from "node:timers/promises";
import { err, type Result } from "neverthrow";
import { runBatch } from "./command-batch.js";
import { CommandRunner, type Job } from "./command-runner.js";
import type { Decider } from "./decider.js";
import type { EventStore, StoreError } from "./event-store.js";
import type { EventParseError, LedgerEvent } from "./events.js";
import type { CommandContext } from "./new-events.js";
import { commandsPerBatchMax, commandsQueuedPerStreamMax, StreamLanes } from "./stream-lanes.js";
import { emptySnapshot, stateCacheStreamsMax, StreamStates, type StreamSnapshot } from "./stream-states.js";

export type { CommandContext } from "./new-events.js";
export { commandsPerBatchMax, commandsQueuedPerStreamMax } from "./stream-lanes.js";
export { stateCacheStreamsMax } from "./stream-states.js";

/** How many times a command is re-read and re-decided after losing an optimistic-concurrency race. */
export const maxAppendRetries = 25;
/** Upper bound of the random pause before a retry, so racing writers spread out. */
export const maxRetryJitterMs = 5;

/** A stream's current state, its revision and what continues its hash chain; `lastPosition` is its last event's. */
export type Loaded<State> = StreamSnapshot<State>;

/** An event as the stream recorded it, with its global position. */
export type Recorded<Event> = { readonly event: Event; readonly position: bigint };

export type Handled<State, Event> = {
  readonly state: State;
  /** The events this command appended; empty when the decision changed nothing. */
  readonly newEvents: readonly Event[];
  /**
   * Global position of the last event of the append that carried this command (commands decided together share
   * one append); undefined when nothing was appended.
   */
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
/**
 * The stream already has commandsQueuedPerStreamMax commands waiting in this process: refused at once, nothing
 * recorded, like a store that cannot take more (retry later).
 */
export type StreamBusy = { readonly type: "StreamBusy"; readonly stream: string; readonly message: string };
export type HandlerError = StoreError | EventParseError | RetriesExhausted | KeyAlreadyClaimed | StreamBusy;

export type CommandHandlerOptions = {
  /** The pause before retry `attempt` (0-based) after a lost race. Default: random jitter up to maxRetryJitterMs x min(attempt + 1, 4). */
  readonly retryPause?: (attempt: number) => Promise<void>;
  /**
   * Streams whose state is kept between commands (default stateCacheStreamsMax). 0 turns the cache off: every
   * command then reads its whole stream first, as a handler without a cache does.
   */
  readonly stateCacheStreamsMax?: number;
  /** Most commands decided together and appended at once on one stream (default commandsPerBatchMax). */
  readonly commandsPerBatchMax?: number;
  /** Most commands waiting for one stream before StreamBusy (default commandsQueuedPerStreamMax). */
  readonly commandsQueuedPerStreamMax?: number;
};

const jitteredPause = (attempt: number): Promise<void> =>
  sleep(Math.random() * maxRetryJitterMs * Math.min(attempt + 1, 4));

/**
 * Decides commands and appends their events with the expected revision.
 * - Each stream's state is cached with its revision: a command on a current stream is decided at once and its
 *   append is the only round trip; a lost race (ConcurrencyError) reads only the newer events and decides again
 *   (bounded, jittered). A refusal or an empty decision may come from a stale state (another instance wrote), so
 *   it reads the newer events first and, if there are any, decides again. A stream not in the cache is taken to be
 *   new when the decision on the initial state writes something: a create costs one append.
 * - Commands to one stream run one batch at a time in this process: the commands that queued meanwhile are
 *   decided in order against the evolving state and appended in one append (see command-batch.ts).
 */
export class CommandHandler {
  private readonly states: StreamStates;
  private readonly lanes: StreamLanes<Job>;
  private readonly runner: CommandRunner;
  private readonly queuedPerStreamMax: number;

  constructor(store: EventStore, options: CommandHandlerOptions = {}) {
    this.queuedPerStreamMax = options.commandsQueuedPerStreamMax ?? commandsQueuedPerStreamMax;
    this.states = new StreamStates(store, options.stateCacheStreamsMax ?? stateCacheStreamsMax);
    this.runner = new CommandRunner(store, this.states, {
      retryPause: options.retryPause ?? jitteredPause,
      maxAppendRetries,
    });
    this.lanes = new StreamLanes<Job>(
      {
        commandsPerBatchMax: options.commandsPerBatchMax ?? commandsPerBatchMax,
        commandsQueuedPerStreamMax: this.queuedPerStreamMax,
      },
      (first, next) => first.decider === next.decider,
      (_stream, batch) => this.run(batch),
    );
  }

  /** The stream's current state: one read of the events recorded since the cached state (all of them the first time). */
  async load<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
  ): Promise<Result<Loaded<State>, StoreError | EventParseError>> {
    const base = this.states.cached<State>(decider, stream) ?? emptySnapshot(decider);
    const refreshed = await this.states.refresh(decider, stream, base);
    return refreshed.map(({ snapshot }) => snapshot);
  }

  handle<Command, Event extends LedgerEvent, State, Error>(
    decider: Decider<Command, Event, State, Error>,
    stream: string,
    command: Command,
    context: CommandContext = {},
  ): Promise<Result<Handled<State, Event>, Error | HandlerError>> {
    return new Promise((resolve, reject) => {
      let done = false;
      const job: Job = {
        decider: decider as unknown as Job["decider"],
        stream,
        command,
        context,
        settle: (result) => {
          if (done) return;
          done = true;
          resolve(result as Result<Handled<State, Event>, Error | HandlerError>);
        },
        fail: (thrown) => {
          if (done) return;
          done = true;
          reject(thrown instanceof globalThis.Error ? thrown : new globalThis.Error(String(thrown)));
        },
      };
      if (!this.lanes.enqueue(stream, job)) job.settle(err(streamBusy(stream, this.queuedPerStreamMax)));
    });
  }

  /** Settles every job of a lane's batch; never throws (a decider that throws fails the jobs not yet answered). */
  private async run(batch: readonly Job[]): Promise<void> {
    try {
      const [only] = batch;
      if (batch.length === 1 && only !== undefined) only.settle(await this.runner.runOne(only));
      else await runBatch(this.runner, batch);
    } catch (thrown) {
      for (const job of batch) job.fail(thrown);
    }
  }

  /** Streams whose state is cached now (at most stateCacheStreamsMax). */
  get cachedStreams(): number {
    return this.states.size;
  }
}

const streamBusy = (stream: string, queued: number): StreamBusy => ({
  type: "StreamBusy",
  stream,
  message: `${stream} already has ${queued} commands waiting in this process; nothing was recorded, try again`,
});
