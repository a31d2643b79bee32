import assert from "node:assert/strict";
import { err, ok, type Result } from "neverthrow";
import {
  keyAlreadyClaimed,
  retriesExhausted,
  unchanged,
  type CommandRunner,
  type Job,
  type Outcome,
} from "./command-runner.js";
import type { InvalidEventData, NewEvent, RecordedEvent, StoreError } from "./event-store.js";
import type { LedgerEvent } from "./events.js";
import { classifyAppendIds } from "./expected-revision.js";
import { keyedIds, toNewEvents } from "./new-events.js";
import { checkStorable } from "./storable-events.js";
import { nextRevision, type StreamSnapshot } from "./stream-states.js";

/**
 * Commands that queued up for one stream, decided together in order, each on the state the ones before it
 * left, and appended in one append: one commit, one expected revision. The append succeeding proves the state
 * they were decided on was current, so every answer is the one the command would have got on its own:
 * - a refusal or an empty decision writes nothing and is answered once the append has committed;
 * - a command whose keyed events are already recorded (the same request again: earlier in this batch, or before
 *   it) writes nothing and is answered as a replay, with the events as recorded; one whose key another stream
 *   holds is refused with KeyAlreadyClaimed. The store names a recorded id by refusing the append
 *   (DuplicateEventId); the batch looks that event up, decides again knowing it, and appends again;
 * - a lost race (ConcurrencyError) reads the newer events and decides the whole batch again (bounded);
 * - what is left (data the store refuses, ids it cannot say where they are) sends the command it belongs to (all
 *   of them, when the store does not say) to run alone, so each gets its exact outcome; the rest are batched again.
 */

type Planned =
  | {
      readonly kind: "written";
      readonly job: Job;
      readonly events: LedgerEvent[];
      readonly after: StreamSnapshot<unknown>;
    }
  | { readonly kind: "refused"; readonly job: Job; readonly error: unknown }
  | { readonly kind: "unchanged"; readonly job: Job; readonly at: StreamSnapshot<unknown> }
  | {
      readonly kind: "replayed";
      readonly job: Job;
      readonly keyById: ReadonlyMap<string, string>;
      readonly at: StreamSnapshot<unknown>;
    };

type Plan = {
  readonly planned: readonly Planned[];
  readonly toAppend: readonly NewEvent[];
  /** For each event of toAppend, the index in `planned` of the command it belongs to. */
  readonly owners: readonly number[];
  readonly end: StreamSnapshot<unknown>;
};

/** `settled`: the first n jobs are answered. `alone`: these jobs must run on their own; nothing was answered. */
type BatchOutcome = { readonly settled: number } | { readonly alone: readonly Job[] };

type Location = { readonly stream: string; readonly revision: bigint };

/** A keyed event of the decision that another stream holds: the key it claims. */
const claimedElsewhere = (
  keyById: ReadonlyMap<string, string>,
  recorded: ReadonlyMap<string, Location>,
  stream: string,
): string | undefined => {
  for (const [id, key] of keyById) {
    const holder = recorded.get(id)?.stream;
    if (holder !== undefined && holder !== stream) return key;
  }
  return undefined;
};

/**
 * Decides the jobs in order from `base`, knowing the ids the store turned out to hold (`recorded`); stops before a
 * job whose event ids partly repeat ones already recorded or planned.
 */
const planBatch = (
  jobs: readonly Job[],
  base: StreamSnapshot<unknown>,
  recorded: ReadonlyMap<string, Location>,
): Plan => {
  const planned: Planned[] = [];
  const toAppend: NewEvent[] = [];
  const owners: number[] = [];
  const ids = new Map<string, Location>();
  let at = base;
  for (const job of jobs) {
    const { decider, stream } = job;
    const decision = decider.decide(job.command, at.state);
    if (decision.isErr() || decision.value.length === 0) {
      planned.push(decision.isErr() ? { kind: "refused", job, error: decision.error } : { kind: "unchanged", job, at });
      continue;
    }
    const events = decision.value;
    const mine = toNewEvents(decider, stream, events, at, job.context);
    const keyById = keyedIds(decider, events, mine);
    const claimed = claimedElsewhere(keyById, recorded, stream);
    const repeats = classifyAppendIds(mine, (id) => ids.get(id) ?? recorded.get(id), stream);
    const replayed = repeats.kind === "replay" && keyById.size > 0;
    if (claimed !== undefined || replayed) {
      // A store refuses text it cannot hold before it looks at ids: so does the batch.
      const storable = checkStorable(stream, mine);
      if (storable.isErr()) planned.push({ kind: "refused", job, error: storable.error });
      else if (claimed !== undefined) planned.push({ kind: "refused", job, error: keyAlreadyClaimed(claimed, stream) });
      else planned.push({ kind: "replayed", job, keyById, at });
      continue;
    }
    if (repeats.kind !== "new") break;
    let revision = nextRevision(at.revision);
    for (const event of mine) {
      ids.set(event.id, { stream, revision: revision++ });
      toAppend.push(event);
      owners.push(planned.length);
    }
    at = {
      state: events.reduce(decider.evolve, at.state),
      revision: revision - 1n,
      lastHash: mine[mine.length - 1]?.metadata.hash ?? at.lastHash,
      lastPosition: at.lastPosition,
    };
    planned.push({ kind: "written", job, events, after: at });
  }
  return { planned, toAppend, owners, end: at };
};

/** The jobs that must run alone after the store refused the batch's event at `index`: its owner, or all when unknown. */
const aloneAfter = (plan: Plan, index: number | undefined): BatchOutcome => {
  const owner = index === undefined || index < 0 ? undefined : plan.owners[index];
  const job = owner === undefined ? undefined : plan.planned[owner]?.job;
  return { alone: job === undefined ? plan.planned.map((entry) => entry.job) : [job] };
};

/** The index of the event InvalidEventData names (`events[3].data...`), when it names one. */
const refusedEventIndex = (error: InvalidEventData): number | undefined => {
  const match = /^events\[(\d+)\]/.exec(error.field ?? "");
  return match === null ? undefined : Number(match[1]);
};

/**
 * Answers every planned command once the batch is settled: appended at `position` (undefined when nothing was
 * to append). Each answer shows the state the command was decided on (or left), which the batch proved current.
 */
const settlePlanned = async (
  runner: CommandRunner,
  plan: Plan,
  position: bigint | undefined,
  recorded: ReadonlyMap<string, RecordedEvent>,
): Promise<void> => {
  for (const entry of plan.planned) {
    let outcome: Outcome;
    switch (entry.kind) {
      case "written":
        assert.ok(position !== undefined, "a decision with events was not appended");
        outcome = ok({ state: entry.after.state, newEvents: entry.events, position, revision: entry.after.revision });
        break;
      case "refused":
        outcome = err(entry.error);
        break;
      case "unchanged":
        outcome = ok(unchanged(entry.at));
        break;
      case "replayed":
        outcome = await runner.alreadyRecorded(
          entry.job.decider,
          entry.job.stream,
          { snapshot: entry.at, fresh: true, guessed: false },
          entry.keyById,
          recorded,
        );
        break;
    }
    entry.job.settle(outcome);
  }
};

const settleAll = (jobs: readonly Job[], outcome: Outcome): BatchOutcome => {
  for (const job of jobs) job.settle(outcome);
  return { settled: jobs.length };
};

/** What a DuplicateEventId teaches: where the event is (to decide again knowing it), or that its job must run alone. */
const learnRecorded = async (
  runner: CommandRunner,
  plan: Plan,
  eventId: string,
  recorded: Map<string, RecordedEvent>,
): Promise<Result<BatchOutcome | undefined, StoreError>> => {
  const alone = aloneAfter(
    plan,
    plan.toAppend.findIndex((event) => event.id === eventId),
  );
  if (recorded.has(eventId)) return ok(alone);
  const found = await runner.store.readEventById(eventId);
  if (found.isErr()) return err(found.error);
  if (found.value === undefined) return ok(alone);
  recorded.set(eventId, found.value);
  return ok(undefined);
};

/** Tries the jobs (two or more, one stream, one decider) as one batch. */
const tryBatch = async (runner: CommandRunner, jobs: readonly Job[]): Promise<BatchOutcome> => {
  const [first] = jobs;
  assert.ok(first !== undefined && jobs.length > 1, "a batch has at least two commands");
  const { decider, stream } = first;
  const started = await runner.start(decider, stream);
  if (started.isErr()) return settleAll(jobs, err(started.error));
  let at = started.value;
  const recorded = new Map<string, RecordedEvent>();
  for (let races = 0; ;) {
    const plan = planBatch(jobs, at.snapshot, recorded);
    if (plan.planned.length === 0) return { alone: [first] };
    const settled = { settled: plan.planned.length };
    const planned = plan.planned.map((entry) => entry.job);
    if (plan.toAppend.length === 0) {
      if (!at.fresh) {
        const read = await runner.refresh(decider, stream, at.snapshot);
        if (read.isErr()) return settleAll(planned, err(read.error));
        at = read.value.at;
        if (read.value.grew) continue;
      }
      await settlePlanned(runner, plan, undefined, recorded);
      return settled;
    }
    const appended = await runner.store.appendToStream(stream, plan.toAppend, at.snapshot.revision);
    if (appended.isOk() && appended.value.alreadyRecorded !== true) {
      const after = { ...plan.end, lastPosition: appended.value.position };
      assert.equal(after.revision, appended.value.nextRevision, "the batch appended at another revision than planned");
      runner.states.remember(decider, stream, after);
      await settlePlanned(runner, plan, appended.value.position, recorded);
      return settled;
    }
    const failure = appended.isErr() ? appended.error : undefined;
    if (failure?.type === "ConcurrencyError" && ++races > runner.settings.maxAppendRetries) {
      return settleAll(planned, err(retriesExhausted(stream, runner.settings.maxAppendRetries)));
    }
    const caughtUp = await runner.catchUp(decider, stream, at, failure, races);
    if (caughtUp.isErr()) return settleAll(planned, err(caughtUp.error));
    at = caughtUp.value.at;
    if (caughtUp.value.decideAgain) continue;
    // Decided on the stream as it is: what the store said stands.
    if (failure === undefined) return { alone: planned };
    if (failure.type === "InvalidEventData") return aloneAfter(plan, refusedEventIndex(failure));
    if (failure.type !== "DuplicateEventId") return settleAll(planned, err(failure));
    const learned = await learnRecorded(runner, plan, failure.eventId, recorded);
    if (learned.isErr()) return settleAll(planned, err(learned.error));
    if (learned.value !== undefined) return learned.value;
  }
};

/**
 * Runs a lane's batch: the longest run of jobs not marked to run alone goes through tryBatch, a marked one
 * through runOne; every round answers at least one job or marks one, so it ends.
 */
export const runBatch = async (runner: CommandRunner, jobs: readonly Job[]): Promise<void> => {
  const alone = new Set<Job>();
  let pending = [...jobs];
  while (pending.length > 0) {
    let end = 0;
    while (end < pending.length && !alone.has(pending[end] as Job)) end++;
    const [head] = pending;
    if (head !== undefined && end <= 1) {
      head.settle(await runner.runOne(head));
      pending = pending.slice(1);
      continue;
    }
    const outcome = await tryBatch(runner, pending.slice(0, end));
    if ("settled" in outcome) pending = pending.slice(outcome.settled);
    else for (const job of outcome.alone) alone.add(job);
  }
};
