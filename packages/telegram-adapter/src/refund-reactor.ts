import {
  parseLedgerEvent,
  pause,
  type EventStore,
  type LedgerError,
  type RecordedEvent,
  type StarsLedger,
  type StoreError,
  type Subscription,
} from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { isTransientBotApiError } from "./bot-api-errors.js";
import type { BotApi } from "./bot-api.js";
import type { Logger } from "./logger.js";
import {
  afterFailedAttempt,
  emptyRefundSchedule,
  evolveRefundSchedule,
  nextRefundTurn,
  refundRecordOf,
  refundRequestGraceMs,
  refundScheduleEventTypes,
  unmatchedWithoutPayer,
  withoutRefund,
  type DueRefund,
  type FailedAttempt,
  type RefundRetryPolicy,
  type RefundSchedule,
} from "./refund-schedule.js";
import { refundStars } from "./star-refund.js";

/** Attempts per charge before it is left for reconciliation (it is tried again at the next start). */
export const defaultRefundAttemptsMax = 10;
/** Backoff between attempts: base x 2^(attempt-1), capped. */
export const defaultRefundRetryBaseMs = 1_000;
export const defaultRefundRetryMaxMs = 5 * 60_000;
/** Refunds one turn of the worker takes, earliest due first; the rest stay owed and wait for the next turn. */
export const refundQueueMax = 100;
/** The worker looks at its schedule at least this often, even without news. */
const idleWaitMs = 60_000;

export type RefundReactorOptions = {
  readonly store: EventStore;
  readonly ledger: Pick<StarsLedger, "recordExtraChargeRefunded" | "recordUnmatchedChargeRefunded" | "refundPayment">;
  readonly botApi: Pick<BotApi, "refundStarPayment">;
  readonly logger: Logger;
  /** The clock of the schedule and the refund events. Default: the system clock. */
  readonly now?: () => Date;
  readonly retry?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number; readonly attemptsMax?: number };
  /** Default refundQueueMax. */
  readonly queueMax?: number;
  /** Default refundRequestGraceMs. */
  readonly requestGraceMs?: number;
};

export type RefundReactor = {
  /** Replays the stream from 0 to find refunds owed, then follows live appends. */
  start(): Promise<void>;
  /** Stops following and waiting; resolves once the refund in flight, if any, has finished. */
  stop(): Promise<void>;
  /** Refunds owed (received or requested, not yet refunded, not given up on). */
  pendingCount(): number;
};

const doneMessages: Record<DueRefund["kind"], string> = {
  extra: "Extra charge refunded",
  unmatched: "Unmatched charge refunded",
  requested: "Requested refund completed",
};

const fieldsOf = (refund: DueRefund) => ({
  chargeId: refund.chargeId,
  paymentId: refund.paymentId,
  userId: refund.userId,
  starsAmount: refund.starsAmount,
  attempt: refund.attempts + 1,
  ...(refund.kind === "requested" ? { admin: refund.admin, idempotencyKey: refund.idempotencyKey } : {}),
});

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Refunds what the ledger owes (refund-schedule.ts decides what and when) through Telegram, one bounded turn at a
 * time. The events are the checkpoint: a refund is owed until its refund event exists. Telegram refuses a second
 * refund of a charge (CHARGE_ALREADY_REFUNDED), which counts as done, so a crash between the API call and the
 * event is retried at restart and never doubled.
 */
class RefundWorker implements RefundReactor {
  private readonly now: () => Date;
  private readonly retry: RefundRetryPolicy;
  private readonly queueMax: number;
  private readonly requestGraceMs: number;
  private schedule: RefundSchedule = emptyRefundSchedule;
  private subscription: Subscription | undefined;
  private worker: Promise<void> | undefined;
  private stopping = new AbortController();
  /** Aborted when news arrives, to end the worker's wait early. */
  private news = new AbortController();
  private catchUpTarget = 0n;
  private caughtUp = false;

  constructor(private readonly options: RefundReactorOptions) {
    this.now = options.now ?? (() => new Date());
    this.retry = {
      baseDelayMs: options.retry?.baseDelayMs ?? defaultRefundRetryBaseMs,
      maxDelayMs: options.retry?.maxDelayMs ?? defaultRefundRetryMaxMs,
      attemptsMax: options.retry?.attemptsMax ?? defaultRefundAttemptsMax,
    };
    this.queueMax = options.queueMax ?? refundQueueMax;
    this.requestGraceMs = options.requestGraceMs ?? refundRequestGraceMs;
  }

  async start(): Promise<void> {
    if (this.worker !== undefined) return;
    const { store, logger } = this.options;
    this.stopping = new AbortController();
    const head = await store.headPosition();
    if (head.isErr())
      logger.warn(
        { error: head.error.type },
        "Refund reactor could not read the head position; refunding while catching up",
      );
    this.catchUpTarget = head.isOk() ? head.value : 0n;
    this.caughtUp = this.catchUpTarget === 0n;
    this.subscription = store.subscribe(
      {
        after: 0n,
        onError: (error) => {
          logger.error({ err: error }, "Refund reactor subscription stopped");
        },
      },
      (recorded) => {
        this.onEvent(recorded);
      },
    );
    this.worker = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.news.abort();
    await this.subscription?.close();
    await this.worker;
    this.subscription = undefined;
    this.worker = undefined;
  }

  pendingCount(): number {
    return this.schedule.size;
  }

  private stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private onEvent(recorded: RecordedEvent): void {
    const reachedHead = !this.caughtUp && recorded.position >= this.catchUpTarget;
    if (reachedHead) this.caughtUp = true;
    if (refundScheduleEventTypes.has(recorded.type)) this.fold(recorded);
    if (this.caughtUp) this.news.abort();
  }

  private fold(recorded: RecordedEvent): void {
    const { logger } = this.options;
    const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
    if (!parsed.ok) {
      logger.error(
        { eventId: recorded.id, stream: recorded.stream, detail: parsed.error.message },
        "Refund reactor skipped an unreadable event",
      );
      return;
    }
    const event = parsed.event;
    if (unmatchedWithoutPayer(event)) {
      logger.error(
        {
          chargeId: event.data.telegramPaymentChargeId,
          invoicePayload: event.data.invoicePayload,
          starsAmount: event.data.totalAmount,
        },
        "Unmatched charge without a user id cannot be refunded automatically; left for reconciliation",
      );
    }
    const origin = { eventId: recorded.id, correlationId: recorded.metadata.correlationId };
    this.schedule = evolveRefundSchedule(this.schedule, event, origin, this.requestGraceMs);
  }

  /** Waits until `ms` have passed, news arrives, or stop(). */
  private async waitForNews(ms: number): Promise<void> {
    this.news = new AbortController();
    if (this.stopped()) return;
    await pause(ms, this.news.signal);
  }

  private async run(): Promise<void> {
    while (!this.stopped()) {
      if (!this.caughtUp) {
        await this.waitForNews(idleWaitMs);
        continue;
      }
      const nowMs = this.now().getTime();
      const turn = nextRefundTurn(this.schedule, nowMs, this.queueMax);
      if (turn.queue.length === 0) {
        await this.waitForNews(Math.min(turn.nextDueAtMs ?? Infinity, nowMs + idleWaitMs) - nowMs);
        continue;
      }
      if (turn.waiting > 0) {
        this.options.logger.warn(
          { queued: turn.queue.length, waiting: turn.waiting },
          "Refund queue full; the rest waits for the next turn",
        );
      }
      for (const refund of turn.queue) {
        if (this.stopped()) break;
        await this.attempt(refund);
      }
    }
  }

  private async attempt(refund: DueRefund): Promise<void> {
    let failure: FailedAttempt | undefined;
    try {
      failure = await this.refund(refund);
    } catch (error) {
      failure = { why: messageOf(error), transient: true };
    }
    if (failure === undefined) return;
    const { logger } = this.options;
    const after = afterFailedAttempt(this.schedule, refund, failure, this.now().getTime(), this.retry);
    this.schedule = after.schedule;
    const outcome = after.outcome;
    if (outcome.kind === "retry") {
      const fields = { ...fieldsOf(outcome.refund), why: failure.why, delayMs: outcome.delayMs };
      logger.warn(fields, "Automatic refund will be retried");
    } else if (outcome.kind === "givenUp") {
      logger.error(
        { ...fieldsOf(outcome.refund), why: outcome.why },
        "Automatic refund failed; left for reconciliation",
      );
    }
  }

  /** One attempt: read back, ask Telegram, record. Undefined when the refund is done. */
  private async refund(refund: DueRefund): Promise<FailedAttempt | undefined> {
    const { botApi, logger } = this.options;
    const done = await this.alreadyRefunded(refund);
    if (done.isErr()) return { why: `store: ${done.error.type}`, transient: true };
    if (done.value) {
      this.schedule = withoutRefund(this.schedule, refund);
      return;
    }
    const telegram = await refundStars(botApi, { userId: refund.userId, telegramPaymentChargeId: refund.chargeId });
    if (telegram.isErr()) return { why: telegram.error.message, transient: isTransientBotApiError(telegram.error) };
    if (telegram.value === "alreadyRefunded")
      logger.info(fieldsOf(refund), "Telegram says the charge is already refunded; recording the refund");
    const recorded = await this.record(refund);
    if (recorded.isErr()) return { why: `refunded, not yet recorded: ${recorded.error.type}`, transient: true };
    this.schedule = withoutRefund(this.schedule, refund);
    logger.info(fieldsOf(refund), doneMessages[refund.kind]);
  }

  /** Read back just before calling Telegram: another instance (or a refunded_payment update) may have finished it. */
  private async alreadyRefunded(refund: DueRefund): Promise<Result<boolean, StoreError>> {
    const { stream, type } = refundRecordOf(refund);
    const read = await this.options.store.readStream(stream);
    if (read.isErr()) return err(read.error);
    return ok(read.value.events.some((e) => e.type === type && e.data.telegramPaymentChargeId === refund.chargeId));
  }

  private async record(refund: DueRefund): Promise<Result<unknown, LedgerError>> {
    const { ledger } = this.options;
    const context = { correlationId: refund.correlationId, causationId: refund.causationId };
    const at = this.now();
    switch (refund.kind) {
      case "extra":
        return ledger.recordExtraChargeRefunded(refund.paymentId, refund.chargeId, at, context);
      case "unmatched":
        return ledger.recordUnmatchedChargeRefunded(refund.chargeId, at, context);
      case "requested": {
        const key = refund.idempotencyKey === undefined ? {} : { idempotencyKey: refund.idempotencyKey };
        const refunded = await ledger.refundPayment(refund.paymentId, refund.admin, at, key, context);
        // Recorded meanwhile (the request itself, or Telegram's refunded_payment): done all the same.
        return refunded.isErr() && refunded.error.type === "PaymentAlreadyRefunded" ? ok(undefined) : refunded;
      }
    }
  }
}

export const createRefundReactor = (options: RefundReactorOptions): RefundReactor => new RefundWorker(options);
