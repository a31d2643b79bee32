import { InMemoryEventStore, StoreUnavailableError, type EventStore, type RecordedEvent } from "@starledger/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createProjections,
  replay,
  waitForTimeoutMaxMs,
  type ProjectionRunner,
  type ReadModelStop,
} from "../src/index.js";
import { adjusted, created, paid, paymentIdOf, refunded, unmatchedCharge } from "./fixtures.js";
import { appendAll, appendRaw, redeliveringStore } from "./store-helpers.js";

const runners: ProjectionRunner[] = [];
const track = (runner: ProjectionRunner): ProjectionRunner => {
  runners.push(runner);
  return runner;
};
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

const purchase = (n: number, userId: number) => [created(n, { userId }), paid(n, { userId })];

describe("the projection runner", () => {
  it("catches up with what the store holds, then follows live appends", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, [...purchase(1, 1), adjusted(1, 5)]);
    const runner = track(createProjections(store));
    await runner.start();
    expect(runner.status()).toEqual({
      position: 3n,
      caughtUp: true,
      running: true,
      eventCount: 3,
      models: { balances: { position: 3n }, payments: { position: 3n }, unmatchedCharges: { position: 3n } },
    });
    expect(runner.balances.get(1).credits).toBe(105);

    const position = await appendAll(store, [...purchase(2, 2), refunded(1, { userId: 1 })]);
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    expect(runner.balances.get(1).credits).toBe(5);
    expect(runner.balances.get(2).credits).toBe(100);
    expect(runner.payments.get(paymentIdOf(1))?.status).toBe("REFUNDED");
    expect(runner.status().position).toBe(position);
  });

  it("waitFor answers at once for a position already reached, and false after its timeout for one never reached", async () => {
    const store = new InMemoryEventStore();
    const position = await appendAll(store, purchase(1, 1));
    const runner = track(createProjections(store));
    expect(await runner.waitFor(position, 10)).toBe(false); // not started
    await runner.start();
    expect(await runner.waitFor(position, 0)).toBe(true);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let answer: boolean | undefined;
      const waiting = runner.waitFor(position + 100n, 50).then((reached) => (answer = reached));
      await vi.advanceTimersByTimeAsync(49);
      expect(answer).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await waiting;
      expect(answer).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("waitFor never waits longer than waitForTimeoutMaxMs", async () => {
    vi.useFakeTimers();
    try {
      const store = new InMemoryEventStore();
      const runner = track(createProjections(store));
      const starting = runner.start();
      await vi.advanceTimersByTimeAsync(0);
      await starting;
      const waiting = runner.waitFor(99n, Number.MAX_SAFE_INTEGER);
      await vi.advanceTimersByTimeAsync(waitForTimeoutMaxMs);
      expect(await waiting).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stop answers pending waits with false; start resumes from the checkpoint without applying anything twice", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, purchase(1, 1));
    const runner = track(createProjections(store));
    await runner.start();
    const pending = runner.waitFor(1_000n, 5_000);
    await runner.stop();
    expect(await pending).toBe(false);
    expect(runner.status()).toMatchObject({ running: false, caughtUp: false, position: 2n });

    const position = await appendAll(store, [...purchase(2, 1), adjusted(1, -50)]);
    await runner.start();
    expect(runner.status()).toMatchObject({ running: true, caughtUp: true, position, eventCount: 5 });
    expect(runner.balances.get(1).credits).toBe(150);
    expect(runner.snapshot()).toEqual((await replay(store)).models.snapshot());
  });

  it("continues from a replay's models at their position", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, purchase(1, 1));
    const replayed = await replay(store);
    expect(replayed).toMatchObject({ eventCount: 2, position: 2n });
    const runner = track(createProjections(store, { models: replayed.models }));
    await runner.start();
    const position = await appendAll(store, purchase(2, 1));
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    expect(runner.status().eventCount).toBe(4);
    expect(runner.balances.get(1).credits).toBe(200);
  });

  it("events delivered again at or below the checkpoint change nothing", async () => {
    const inner = new InMemoryEventStore();
    await appendAll(inner, [...purchase(1, 1), ...purchase(2, 2)]);
    // Every read and subscription starts three events early.
    const store = redeliveringStore(inner, (after) => (after > 3n ? after - 3n : 0n));
    const runner = track(createProjections(store));
    await runner.start();
    await runner.stop();
    await runner.start();
    const position = await appendAll(inner, [refunded(1, { userId: 1 }), adjusted(2, 1)]);
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    expect(runner.snapshot()).toEqual((await replay(inner)).models.snapshot());
    expect(runner.status().eventCount).toBe(6);
  });

  it("an event the payments model cannot apply stops only that model, there; the others reach the head, and a restart and replay say the same", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, purchase(1, 1));
    const stops: ReadModelStop[] = [];
    const runner = track(createProjections(store, { onModelStopped: (stop) => stops.push(stop) }));
    await runner.start();
    // A PaymentPaid for a payment that was never created: the payments model cannot explain it.
    const bad = await appendAll(store, [paid(9, { userId: 2 })]);
    const head = await appendAll(store, [...purchase(2, 1), adjusted(1, 5), unmatchedCharge("u-1")]);
    expect(await runner.waitFor(head, 5_000)).toBe(true);

    const message = expect.stringMatching(/position 3 on payment-.*PaymentPaid for payment .* never created/) as string;
    expect(runner.status()).toEqual({
      position: head,
      caughtUp: true,
      running: true,
      eventCount: 7,
      models: {
        balances: { position: head },
        payments: { position: 2n, stopped: { position: bad, message } },
        unmatchedCharges: { position: head },
      },
    });
    expect(stops).toEqual([{ model: "payments", position: bad, checkpoint: 2n, message }]);
    expect(runner.stoppedAmong(["balances"])).toBeUndefined();
    expect(runner.stoppedAmong(["payments"])).toMatchObject({ model: "payments", position: bad });
    expect(runner.balances.get(1).credits).toBe(205);
    expect(runner.unmatchedCharges.count()).toBe(1);
    expect(runner.payments.get(paymentIdOf(2))).toBeUndefined();

    const restarted = track(createProjections(store));
    await restarted.start();
    expect(restarted.status()).toEqual(runner.status());
    expect(restarted.snapshot()).toEqual(runner.snapshot());

    const replayed = await replay(store);
    expect(replayed.stopped).toEqual(stops);
    expect(replayed.models.snapshot()).toEqual(runner.snapshot());
  });

  it("a bad event met during catch-up stops the models it feeds; start resolves and the runner follows the store", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, [adjusted(1, 5)]);
    await appendRaw(store, "credits-1", "CreditsAdjusted", { userId: 1, delta: 1.5 });
    await appendAll(store, [adjusted(1, 5)]);
    const stops: ReadModelStop[] = [];
    const runner = track(createProjections(store, { onModelStopped: (stop) => stops.push(stop) }));
    await runner.start();
    expect(runner.status()).toMatchObject({
      position: 3n,
      caughtUp: true,
      running: true,
      models: { balances: { position: 1n, stopped: { position: 2n } }, payments: { position: 3n } },
    });
    expect(stops.map((stop) => stop.model)).toEqual(["balances"]);
    expect(runner.balances.get(1).credits).toBe(5);
    const position = await appendAll(store, purchase(1, 1));
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    expect(runner.payments.get(paymentIdOf(1))?.status).toBe("PAID");
    expect(runner.balances.get(1).credits).toBe(5);
  });

  it("another application's events are passed over", async () => {
    const store = new InMemoryEventStore();
    await appendRaw(store, "orders-1", "OrderPlaced", { orderId: 1 });
    const position = await appendAll(store, [adjusted(1, 5)]);
    const runner = track(createProjections(store));
    await runner.start();
    expect(runner.status()).toMatchObject({ position, eventCount: 2 });
    expect(runner.balances.get(1).credits).toBe(5);
  });

  it("progress gives the store's head, so the caller can compute lag", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, purchase(1, 1));
    const runner = track(createProjections(store));
    expect(await runner.progress()).toMatchObject({ position: 0n, headPosition: 2n });
    await runner.start();
    expect(await runner.progress()).toMatchObject({ position: 2n, headPosition: 2n });
  });

  it("a store failing during catch-up rejects start; nothing is skipped and start may be called again", async () => {
    const inner = new InMemoryEventStore();
    await appendAll(inner, [...purchase(1, 1), adjusted(1, 5)]);
    let failOnce = true;
    const store: EventStore = {
      ...redeliveringStore(inner, (after) => after),
      readAll: (options = {}) => ({
        async *[Symbol.asyncIterator](): AsyncGenerator<RecordedEvent> {
          let count = 0;
          for await (const event of inner.readAll(options)) {
            if (failOnce && ++count === 2) {
              failOnce = false;
              throw new StoreUnavailableError("connection lost");
            }
            yield event;
          }
        },
      }),
    };
    const runner = track(createProjections(store));
    await expect(runner.start()).rejects.toThrow(/connection lost/);
    expect(runner.status()).toMatchObject({ position: 1n, running: false, caughtUp: false });
    await runner.start();
    expect(runner.status()).toMatchObject({ position: 3n, caughtUp: true });
    expect(runner.balances.get(1).credits).toBe(105);
  });

  it("start while starting or running is the same start", async () => {
    const store = new InMemoryEventStore();
    await appendAll(store, purchase(1, 1));
    const runner = track(createProjections(store));
    await Promise.all([runner.start(), runner.start()]);
    await runner.start();
    expect(runner.status()).toMatchObject({ position: 2n, eventCount: 2 });
  });
});
