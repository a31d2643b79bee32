import { err, ok, type Result } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  CommandHandler,
  InMemoryEventStore,
  StarsLedger,
  creditAccountDecider,
  creditsStream,
  maxAppendRetries,
  type AppendResult,
  type CreditAccountEvent,
  type Decider,
  type EventStore,
  type StoreError,
} from "../src/index.js";
import { CountingEventStore } from "../src/testing/index.js";

const settings = { starsToCreditsRate: 10, paymentTtlMs: 24 * 3_600_000, requireSameUser: true };
const now = new Date("2026-11-26T10:00:00.000Z");
const noPause = { retryPause: () => Promise.resolve() };
const adjust = (userId: number, delta: number, idempotencyKey?: string) => ({
  userId,
  delta,
  reason: "r",
  admin: "a",
  now,
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

/** A store whose appends go through `append` first, which may answer instead of the store. */
const intercepted = (
  inner: EventStore,
  append: (...args: Parameters<EventStore["appendToStream"]>) => Promise<Result<AppendResult, StoreError>> | undefined,
): EventStore => ({
  readStream: (stream, options) => inner.readStream(stream, options),
  readEventById: (id) => inner.readEventById(id),
  appendToStream: (...args) => append(...args) ?? inner.appendToStream(...args),
  readAll: (options) => inner.readAll(options),
  subscribe: (options, handler) => inner.subscribe(options, handler),
  headPosition: () => inner.headPosition(),
  close: () => inner.close(),
});

/** Sets an account's adjustments to a total: nothing to do when it is there already. Its emptiness is not for ever. */
type SetTotal = { readonly userId: number; readonly total: number; readonly explode?: boolean };
const setTotalDecider: Decider<SetTotal, CreditAccountEvent, { total: number }, never> = {
  initialState: { total: 0 },
  evolve: (state, event) => ({ total: state.total + event.data.delta }),
  decide: ({ userId, total, explode }, state) => {
    if (explode === true) throw new Error("a decider bug");
    if (state.total === total) return ok([]);
    const data = { userId, delta: total - state.total, reason: "set", admin: "a", adjustedAt: now.toISOString() };
    return ok([{ type: "CreditsAdjusted", data }]);
  },
  eventTypes: new Set(["CreditsAdjusted"]),
};

describe("the command handler's cached state", () => {
  it("an empty decision on a state another instance moved on from is decided again on the current one", async () => {
    const store = new InMemoryEventStore();
    const counting = new CountingEventStore(store);
    const first = new CommandHandler(counting, noPause);
    const second = new CommandHandler(store, noPause);
    const stream = creditsStream(1);
    (await first.handle(setTotalDecider, stream, { userId: 1, total: 5 }))._unsafeUnwrap();
    (await second.handle(setTotalDecider, stream, { userId: 1, total: 8 }))._unsafeUnwrap();
    counting.reset();
    // On the first handler's state the total is 5 already; it is 8 now, so 5 takes an event.
    const handled = (await first.handle(setTotalDecider, stream, { userId: 1, total: 5 }))._unsafeUnwrap();
    expect(handled.newEvents.map((e) => e.data.delta)).toEqual([-3]);
    expect(handled.state.total).toBe(5);
    expect({ readFrom: counting.readFrom, eventsRead: counting.eventsRead, appends: counting.appends }).toEqual({
      readFrom: [1n],
      eventsRead: 1,
      appends: 1,
    });
  });

  it("load reads only the events recorded since the cached state", async () => {
    const store = new InMemoryEventStore();
    const counting = new CountingEventStore(store);
    const ledger = new StarsLedger(counting, settings, noPause);
    for (let n = 0; n < 100; n++) (await ledger.adjustCredits(adjust(7, 1)))._unsafeUnwrap();
    (await new StarsLedger(store, settings).adjustCredits(adjust(7, 50)))._unsafeUnwrap();
    counting.reset();
    const loaded = (await ledger.handler.load(creditAccountDecider, creditsStream(7)))._unsafeUnwrap();
    expect(loaded.state.adjustmentsTotal).toBe(150);
    expect(loaded.revision).toBe(100n);
    expect({ readFrom: counting.readFrom, eventsRead: counting.eventsRead }).toEqual({
      readFrom: [100n],
      eventsRead: 1,
    });
  });

  it("keeps at most stateCacheStreamsMax streams; an evicted stream is read whole again and decided right", async () => {
    const counting = new CountingEventStore(new InMemoryEventStore());
    const ledger = new StarsLedger(counting, settings, { ...noPause, stateCacheStreamsMax: 2 });
    for (const userId of [1, 2, 3]) (await ledger.adjustCredits(adjust(userId, userId)))._unsafeUnwrap();
    expect(ledger.handler.cachedStreams).toBe(2);
    counting.reset();
    // User 1 was the least recently used: its state is gone, so the guess "new stream" loses and the stream is read.
    const adjusted = (await ledger.adjustCredits(adjust(1, 10)))._unsafeUnwrap();
    expect(adjusted.adjustmentsTotal).toBe(11);
    expect({ readFrom: counting.readFrom, appends: counting.appends }).toEqual({ readFrom: [0n], appends: 2 });
    counting.reset();
    (await ledger.adjustCredits(adjust(3, 1)))._unsafeUnwrap();
    expect({ reads: counting.reads, appends: counting.appends }).toEqual({ reads: 0, appends: 1 });
  });

  it("with the cache off, every command reads its whole stream first, as a handler without one", async () => {
    const counting = new CountingEventStore(new InMemoryEventStore());
    const ledger = new StarsLedger(counting, settings, { ...noPause, stateCacheStreamsMax: 0 });
    for (let n = 0; n < 3; n++) (await ledger.adjustCredits(adjust(1, 1)))._unsafeUnwrap();
    expect({ readFrom: counting.readFrom, appends: counting.appends }).toEqual({ readFrom: [0n, 0n, 0n], appends: 3 });
    expect(ledger.handler.cachedStreams).toBe(0);
  });
});

describe("commands to one stream, serialized and batched", () => {
  it("commands that queue up are decided in order and appended at once; each answer carries that append's position", async () => {
    const counting = new CountingEventStore(new InMemoryEventStore());
    const handler = new CommandHandler(counting, noPause);
    const stream = creditsStream(1);
    const answers = await Promise.all(
      [3, 3, 9, 4].map((total) => handler.handle(setTotalDecider, stream, { userId: 1, total })),
    );
    const handled = answers.map((a) => a._unsafeUnwrap());
    expect(handled.map((h) => h.newEvents.map((e) => e.data.delta))).toEqual([[3], [], [6], [-5]]);
    expect(handled.map((h) => h.state.total)).toEqual([3, 3, 9, 4]);
    expect(handled.map((h) => h.revision)).toEqual([0n, 0n, 1n, 2n]);
    expect(handled.map((h) => h.position)).toEqual([3n, undefined, 3n, 3n]);
    expect({ appends: counting.appends, reads: counting.reads }).toEqual({ appends: 1, reads: 0 });
  });

  it("a batch that loses a race to another instance is decided again on the newer events", async () => {
    const store = new InMemoryEventStore();
    const other = new StarsLedger(store, settings, noPause);
    let raced = false;
    const racing = new CountingEventStore(
      intercepted(store, (stream, events) => {
        if (raced || events.length < 2) return undefined;
        raced = true;
        // Another instance commits first, between this batch's decision and its append.
        return other.adjustCredits(adjust(1, 100)).then(() => store.appendToStream(stream, events, 0n));
      }),
    );
    const ledger = new StarsLedger(racing, settings, noPause);
    (await ledger.adjustCredits(adjust(1, 1)))._unsafeUnwrap();
    const answers = await Promise.all([2, 3, 4].map((delta) => ledger.adjustCredits(adjust(1, delta))));
    expect(answers.map((a) => a._unsafeUnwrap().adjustmentsTotal)).toEqual([103, 106, 110]);
    expect(racing.appends).toBe(3);
    const deltas = (await store.readStream(creditsStream(1)))._unsafeUnwrap().events.map((e) => e.data.delta);
    expect(deltas).toEqual([1, 100, 2, 3, 4]);
  });

  it("a batch that always loses gives up after maxAppendRetries, like a single command", async () => {
    let appends = 0;
    const losing = intercepted(new InMemoryEventStore(), (stream, _events, expected) => {
      appends++;
      return Promise.resolve(err({ type: "ConcurrencyError", stream, expected }));
    });
    const ledger = new StarsLedger(losing, settings, noPause);
    const answers = await Promise.all([1, 2, 3].map((delta) => ledger.adjustCredits(adjust(1, delta))));
    expect(answers.map((a) => a._unsafeUnwrapErr().type)).toEqual([
      "RetriesExhausted",
      "RetriesExhausted",
      "RetriesExhausted",
    ]);
    expect(appends).toBe(maxAppendRetries + 1);
  });

  it("a key another stream holds refuses only the command that sent it; the rest of its batch is applied", async () => {
    const counting = new CountingEventStore(new InMemoryEventStore());
    const ledger = new StarsLedger(counting, settings, noPause);
    (await ledger.adjustCredits(adjust(2, 5, "taken")))._unsafeUnwrap();
    (await ledger.adjustCredits(adjust(1, 1)))._unsafeUnwrap();
    counting.reset();
    const keys = ["k0", "k1", "taken", "k2", "k3"];
    const answers = await Promise.all(keys.map((key) => ledger.adjustCredits(adjust(1, 1, key))));
    expect(answers.map((a) => (a.isOk() ? "ok" : a.error.type))).toEqual([
      "ok",
      "ok",
      "IdempotencyConflict",
      "ok",
      "ok",
    ]);
    expect(answers.flatMap((a) => (a.isOk() ? [a.value.adjustmentsTotal] : []))).toEqual([2, 3, 4, 5]);
    // One append refused for the held key, one lookup of it, one append for the four others.
    expect({ appends: counting.appends, readsById: counting.readsById }).toEqual({ appends: 2, readsById: 1 });
  });

  it("data the store refuses fails only the command that sent it, once; the rest of its batch is applied", async () => {
    const counting = new CountingEventStore(new InMemoryEventStore());
    const ledger = new StarsLedger(counting, settings, noPause);
    (await ledger.adjustCredits(adjust(1, 1)))._unsafeUnwrap();
    counting.reset();
    const reasons = ["fine", "fine too", "bad \ud800", "still fine"];
    const answers = await Promise.all(reasons.map((reason) => ledger.adjustCredits({ ...adjust(1, 1), reason })));
    expect(answers.map((a) => (a.isOk() ? "ok" : a.error.type))).toEqual(["ok", "ok", "InvalidEventData", "ok"]);
    expect(answers.flatMap((a) => (a.isOk() ? [a.value.adjustmentsTotal] : []))).toEqual([2, 3, 4]);
    // The batch refused, the refused command alone (refused again, never retried), the two after it.
    expect(counting.appends).toBe(4);
  });

  it("beyond commandsQueuedPerStreamMax waiting commands, a command is answered StreamBusy at once and records nothing", async () => {
    const store = new InMemoryEventStore();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = intercepted(store, (...args) => held.then(() => store.appendToStream(...args)));
    const ledger = new StarsLedger(slow, settings, { ...noPause, commandsQueuedPerStreamMax: 3 });
    const first = ledger.adjustCredits(adjust(1, 1));
    await new Promise((resolve) => setImmediate(resolve)); // the first is at the store; the next ones wait
    const waiting = [2, 3, 4].map((delta) => ledger.adjustCredits(adjust(1, delta)));
    const refused = await ledger.adjustCredits(adjust(1, 1000));
    expect(refused._unsafeUnwrapErr()).toMatchObject({ type: "StreamBusy", stream: creditsStream(1) });
    release();
    const totals = (await Promise.all([first, ...waiting])).map((a) => a._unsafeUnwrap().adjustmentsTotal);
    expect(totals).toEqual([1, 3, 6, 10]);
    const deltas = (await store.readStream(creditsStream(1)))._unsafeUnwrap().events.map((e) => e.data.delta);
    expect(deltas).toEqual([1, 2, 3, 4]);
  });

  it("a decider that throws fails the commands decided with it, and the stream keeps working", async () => {
    const handler = new CommandHandler(new InMemoryEventStore(), noPause);
    const stream = creditsStream(1);
    const batch = [{ total: 1 }, { total: 2, explode: true }, { total: 3 }].map((command) =>
      handler.handle(setTotalDecider, stream, { userId: 1, ...command }),
    );
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
    const after = (await handler.handle(setTotalDecider, stream, { userId: 1, total: 4 }))._unsafeUnwrap();
    expect(after.newEvents.map((e) => e.data.delta)).toEqual([4]);
  });
});
