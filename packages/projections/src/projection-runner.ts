import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { EventStore, RecordedEvent, Subscription } from "@starledger/core";
import type { AdminStats, StatsRange } from "./admin-stats.js";
import type { BalancesReadModel } from "./balances.js";
import { errorMessage } from "./ledger-event-decoder.js";
import type { PaymentsReadModel } from "./payments.js";
import {
  LedgerReadModels,
  type ReadModelName,
  type ReadModels,
  type ReadModelsSnapshot,
  type ReadModelStatus,
  type ReadModelStop,
} from "./read-models.js";
import type { UnmatchedChargesReadModel } from "./unmatched-charges.js";

/** Longest a waitFor may wait, whatever the caller asks. */
export const waitForTimeoutMaxMs = 60_000;
/** During catch-up, let other work run (health checks, shutdown) after this many events. */
export const catchUpEventsPerTurn = 5_000;

export type ProjectionFailure = {
  /** The runner's checkpoint when it stopped following the store (the store ended the subscription, or a bug). */
  readonly position: bigint;
  readonly message: string;
};

export type ProjectionStatus = {
  /** Every read model that has not stopped has applied every event up to here. */
  readonly position: bigint;
  /** The catch-up read reached the store's end; live appends are being followed. */
  readonly caughtUp: boolean;
  readonly running: boolean;
  readonly eventCount: number;
  /** Each read model's own position, and why it stopped if it did: the others go on without it. */
  readonly models: Readonly<Record<ReadModelName, ReadModelStatus>>;
  /** Set when the runner stopped following the store (see ProjectionFailure): no read model moves any more. */
  readonly failed?: ProjectionFailure;
};

export type ProjectionProgress = ProjectionStatus & {
  /** The store's last position; null when the store could not say. Lag = headPosition - position. */
  readonly headPosition: bigint | null;
};

export type ProjectionsOptions = {
  /** Read models to continue from, at their position (a replay's, or a snapshot). Default: empty, so start() replays from 0. */
  readonly models?: LedgerReadModels;
  /** Told once per read model that stops on an event it cannot apply, for logging. */
  readonly onModelStopped?: (stop: ReadModelStop) => void;
  /** Told once when the store ends the subscription, for logging. */
  readonly onFailure?: (failure: ProjectionFailure) => void;
};

type Waiter = {
  readonly position: bigint;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
};

/**
 * Keeps the read models current: start() catches up from the checkpoint with readAll, then follows live
 * appends with subscribe. Events at or below the checkpoint are skipped, so a redelivery is harmless.
 * The models live in memory and are rebuilt by replay on every start of the process.
 * An event a read model cannot apply stops that model where it is (status().models says which and why);
 * the runner and the other models go on, and waitFor waits only for those.
 */
export class ProjectionRunner implements ReadModels {
  private readonly models: LedgerReadModels;
  private subscription: Subscription | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private caughtUp = false;
  private failure: ProjectionFailure | undefined;
  private stopsReported = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly store: EventStore,
    private readonly options: ProjectionsOptions = {},
  ) {
    this.models = options.models ?? new LedgerReadModels();
  }

  get balances(): BalancesReadModel {
    return this.models.balances;
  }

  get payments(): PaymentsReadModel {
    return this.models.payments;
  }

  get unmatchedCharges(): UnmatchedChargesReadModel {
    return this.models.unmatchedCharges;
  }

  stats(range: StatsRange = {}): AdminStats {
    return this.models.stats(range);
  }

  snapshot(): ReadModelsSnapshot {
    return this.models.snapshot();
  }

  stoppedAmong(models: readonly ReadModelName[]): ReadModelStop | undefined {
    return this.models.stoppedAmong(models);
  }

  /**
   * Resolves once caught up with the store (or stopped on a failure: see status()). Rejects when the store
   * fails during catch-up; nothing was skipped and start() may be called again. Calling it while running is a no-op.
   */
  start(): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    if (this.subscription !== undefined || this.failure !== undefined) return Promise.resolve();
    this.stopping = false;
    this.starting = this.catchUpThenFollow().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Stops following the store; pending waitFor calls answer false. start() resumes from the checkpoint. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
    this.caughtUp = false;
    this.settleWaiters(false);
  }

  /**
   * True once every read model that has not stopped has reached `position` (read your own writes): a stopped
   * model is not waited for. False after timeoutMs (capped), on stop or when the store ends the subscription.
   */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.models.position >= position) return Promise.resolve(true);
    if (this.failure !== undefined || (this.subscription === undefined && this.starting === undefined))
      return Promise.resolve(false);
    const delayMs = Math.min(Math.max(0, timeoutMs), waitForTimeoutMaxMs);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, delayMs),
      };
      this.waiters.add(waiter);
    });
  }

  status(): ProjectionStatus {
    const status = {
      position: this.models.position,
      caughtUp: this.caughtUp,
      running: (this.subscription !== undefined || this.starting !== undefined) && this.failure === undefined,
      eventCount: this.models.eventCount,
      models: this.models.modelStatus(),
    };
    return this.failure === undefined ? status : { ...status, failed: this.failure };
  }

  /** status() plus the store's head, for lag. */
  async progress(): Promise<ProjectionProgress> {
    const head = await this.store.headPosition();
    return { ...this.status(), headPosition: head.isOk() ? head.value : null };
  }

  private async catchUpThenFollow(): Promise<void> {
    this.reportStops();
    let sinceTurn = 0;
    for await (const event of this.store.readAll({ after: this.models.position })) {
      if (this.stopping || !this.deliver(event)) return;
      if (++sinceTurn === catchUpEventsPerTurn) {
        sinceTurn = 0;
        await yieldToEventLoop();
      }
    }
    if (this.stopping) return;
    this.caughtUp = true;
    this.subscription = this.store.subscribe(
      {
        after: this.models.position,
        onError: (error) => {
          // The handler's own failure is recorded already; anything else is the store giving up.
          if (this.failure === undefined)
            this.fail(this.models.position, `subscription stopped: ${errorMessage(error)}`);
        },
      },
      (event) => {
        if (!this.deliver(event)) throw new Error(this.failure?.message ?? "projection failed");
      },
    );
  }

  /** Takes one event; false when the runner has failed (now or before). A read model that cannot apply it stops alone. */
  private deliver(event: RecordedEvent): boolean {
    if (this.failure !== undefined) return false;
    try {
      if (!this.models.apply(event)) return true;
    } catch (error) {
      // A bug, not a bad event (those stop one model): nothing can be trusted to move on.
      this.fail(this.models.position, errorMessage(error));
      return false;
    }
    this.reportStops();
    if (this.waiters.size > 0) this.wakeWaiters();
    return true;
  }

  private reportStops(): void {
    if (this.models.stoppedCount === this.stopsReported) return;
    const stops = this.models.stopped();
    for (; this.stopsReported < stops.length; this.stopsReported++) {
      const stop = stops[this.stopsReported];
      if (stop !== undefined) this.options.onModelStopped?.(stop);
    }
  }

  private wakeWaiters(): void {
    const position = this.models.position;
    for (const waiter of this.waiters) {
      if (waiter.position > position) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(true);
    }
  }

  private settleWaiters(reached: boolean): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(reached);
    }
    this.waiters.clear();
  }

  private fail(position: bigint, message: string): void {
    this.failure = { position, message };
    this.caughtUp = false;
    this.settleWaiters(false);
    this.options.onFailure?.(this.failure);
  }
}

/** The runner the server wires: call start() before serving reads. */
export const createProjections = (store: EventStore, options: ProjectionsOptions = {}): ProjectionRunner =>
  new ProjectionRunner(store, options);
