import { err, ok, type Result } from "neverthrow";
import type {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreError,
  StreamRead,
  SubscribeOptions,
  Subscription,
} from "./event-store.js";
import { checkStorable } from "./storable-events.js";
import { classifyAppendIds, revisionMatches } from "./expected-revision.js";
import { OpenSubscriptions } from "./open-subscriptions.js";
import { AppendNotifier, runSubscription } from "./subscription-loop.js";

type EventLocation = { readonly stream: string; readonly index: number };

/** In-process store: O(1) appends and stream reads, for tests and the `memory:` setting. Nothing survives a restart. */
export class InMemoryEventStore implements EventStore {
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly all: RecordedEvent[] = [];
  private readonly ids = new Map<string, EventLocation>();
  private readonly notifier = new AppendNotifier();
  private readonly subscriptions = new OpenSubscriptions();
  private closed = false;

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<Result<StreamRead, StoreError>> {
    const storable = checkStorable(stream);
    if (storable.isErr()) return Promise.resolve(err(storable.error));
    const events = this.streams.get(stream) ?? [];
    const last = events[events.length - 1];
    const from = Number(options.fromRevision ?? 0n);
    return Promise.resolve(
      ok({ events: events.slice(Math.max(0, from)), revision: last === undefined ? "no_stream" : last.revision }),
    );
  }

  readEventById(id: string): Promise<Result<RecordedEvent | undefined, StoreError>> {
    const at = this.ids.get(id);
    return Promise.resolve(ok(at === undefined ? undefined : this.streams.get(at.stream)?.[at.index]));
  }

  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, StoreError>> {
    const storable = checkStorable(stream, events);
    if (storable.isErr()) return Promise.resolve(err(storable.error));
    const existing = this.streams.get(stream) ?? [];
    const replay = classifyAppendIds(
      events,
      (id) => {
        const at = this.ids.get(id);
        const hit = at === undefined ? undefined : this.streams.get(at.stream)?.[at.index];
        return at === undefined || hit === undefined ? undefined : { stream: at.stream, revision: hit.revision };
      },
      stream,
    );
    if (replay.kind === "conflict")
      return Promise.resolve(err({ type: "DuplicateEventId", stream, eventId: replay.eventId }));
    if (replay.kind === "replay") {
      const last = existing[Number(replay.lastRevision)];
      if (last === undefined) throw new Error("unreachable: replayed event missing");
      return Promise.resolve(ok({ nextRevision: last.revision, position: last.position, alreadyRecorded: true }));
    }
    const actual = existing[existing.length - 1]?.revision;
    if (!revisionMatches(expectedRevision, actual)) {
      return Promise.resolve(
        err({ type: "ConcurrencyError", stream, expected: expectedRevision, actual: actual ?? "no_stream" }),
      );
    }
    if (events.length === 0) {
      return Promise.resolve(ok({ nextRevision: actual ?? -1n, position: BigInt(this.all.length) }));
    }
    const recordedAt = new Date();
    const target = this.streams.get(stream) ?? [];
    this.streams.set(stream, target);
    for (const event of events) {
      const recorded: RecordedEvent = {
        ...event,
        stream,
        revision: BigInt(target.length),
        position: BigInt(this.all.length + 1),
        recordedAt,
      };
      this.ids.set(event.id, { stream, index: target.length });
      target.push(recorded);
      this.all.push(recorded);
    }
    this.notifier.notify();
    return Promise.resolve(ok({ nextRevision: BigInt(target.length - 1), position: BigInt(this.all.length) }));
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const start = Number(options.after ?? 0n);
    const end = options.limit === undefined ? this.all.length : Math.min(this.all.length, start + options.limit);
    for (let index = start; index < end; index++) {
      const event = this.all[index];
      if (event !== undefined) yield event;
    }
    await Promise.resolve();
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const listener = this.notifier.listen();
    const subscription = runSubscription(
      {
        readBatch: (after, limit) => Promise.resolve(this.all.slice(Number(after), Number(after) + limit)),
        waitForAppend: (timeoutMs, signal) => listener.wait(timeoutMs, signal),
      },
      options,
      handler,
    );
    return this.subscriptions.track(subscription, () => {
      listener.dispose();
    });
  }

  headPosition(): Promise<Result<bigint, StoreError>> {
    return Promise.resolve(ok(BigInt(this.all.length)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.closeAll();
  }
}
