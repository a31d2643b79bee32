import { pause } from "./pause.js";
import type { StarsLedger } from "./stars-ledger.js";

/** How often a sweeper looks for pending payments past their expiresAt (EXPIRY_SWEEP_INTERVAL's default). */
export const defaultExpirySweepIntervalMs = 30_000;
/** Most payments one turn expires, earliest expiry first; the rest wait for the next turn. */
export const expirySweepBatchMax = 100;
/**
 * Most turns run back to back while each finds a full batch and makes progress (a backlog after an outage):
 * 5,000 expiries per interval instead of 100, still bounded.
 */
export const expirySweepTurnsPerIntervalMax = 50;

/** The read side the sweeper asks: ids of payments still PENDING with expiresAt <= now, earliest expiry first, at most `limit`. */
export type FindExpiredPending = (now: Date, limit: number) => Promise<readonly string[]>;

export type SweeperLogFields = Readonly<Record<string, unknown>>;
/** The pino methods the sweeper calls, so a pino logger fits without core depending on pino. */
export type SweeperLogger = {
  info(fields: SweeperLogFields, message: string): void;
  warn(fields: SweeperLogFields, message: string): void;
  error(fields: SweeperLogFields, message: string): void;
};

export type SweepReport = {
  /** Payments the read side named as due. */
  readonly due: number;
  /** PaymentFailed{expired} recorded by this turn. */
  readonly expired: number;
  /** Nothing to record: paid or expired meanwhile (perhaps by another instance), or not yet due by the ledger's reading. */
  readonly unchanged: number;
  /** Commands that failed; those payments are still due and come back at the next turn. */
  readonly failed: number;
};

export type PaymentExpirySweeperOptions = {
  readonly ledger: Pick<StarsLedger, "expirePayment">;
  readonly findExpiredPending: FindExpiredPending;
  readonly logger: SweeperLogger;
  readonly now?: () => Date;
  readonly intervalMs?: number;
  readonly batchMax?: number;
  /** Told after every turn (metrics, tests). */
  readonly onSweep?: (report: SweepReport) => void;
};

export type PaymentExpirySweeper = {
  /** One bounded turn: at most batchMax payments. Turns never overlap; a call during one runs after it. */
  sweepOnce(): Promise<SweepReport>;
  /** Sweeps now, then every intervalMs until stop(). */
  start(): void;
  /** Ends the pause at once; resolves when the turn in flight (if any) has finished the payment it is on. */
  stop(): Promise<void>;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Records the expiry of pending payments whose invoice can no longer be paid (the decider refuses their
 * pre-checkout already). Safe with several instances on one store: ExpirePayment on a payment that is no
 * longer pending records nothing, and a lost race is re-read and re-decided by the command handler.
 */
export const createPaymentExpirySweeper = (options: PaymentExpirySweeperOptions): PaymentExpirySweeper => {
  const { ledger, findExpiredPending, logger } = options;
  const now = options.now ?? (() => new Date());
  const intervalMs = options.intervalMs ?? defaultExpirySweepIntervalMs;
  const batchMax = options.batchMax ?? expirySweepBatchMax;
  let abort = new AbortController();
  let running: Promise<void> | undefined;
  let lastTurn: Promise<unknown> = Promise.resolve();

  const turn = async (signal: AbortSignal): Promise<SweepReport> => {
    const at = now();
    const report = { due: 0, expired: 0, unchanged: 0, failed: 0 };
    const due = (await findExpiredPending(at, batchMax)).slice(0, batchMax);
    report.due = due.length;
    for (const paymentId of due) {
      if (signal.aborted) break;
      const result = await ledger.expirePayment(paymentId, at, { correlationId: `expiry-${paymentId}` });
      if (result.isOk()) {
        if (result.value.position === undefined) {
          report.unchanged++;
          continue;
        }
        report.expired++;
        const payment = result.value.payment;
        logger.info(
          { paymentId, userId: payment.userId, reason: "expired", expiresAt: payment.expiresAt },
          "Payment marked as failed",
        );
        continue;
      }
      const error = result.error;
      if (error.type === "PaymentNotExpired") {
        report.unchanged++;
        continue;
      }
      report.failed++;
      logger.warn(
        { paymentId, error: error.type, detail: "message" in error ? error.message : undefined },
        "Payment expiry not recorded; tried again at the next sweep",
      );
      // An outage fails every other command too: leave the rest of the batch for the next turn.
      if (error.type === "StoreUnavailable") break;
    }
    options.onSweep?.(report);
    return report;
  };

  const sweepOnce = (): Promise<SweepReport> => {
    const signal = abort.signal;
    const next = lastTurn.then(() => turn(signal));
    lastTurn = next.catch(() => undefined);
    return next;
  };

  /** A full batch that expired something and failed nothing: there may be more due right now. */
  const backlogLeft = (report: SweepReport): boolean =>
    report.due >= batchMax && report.expired > 0 && report.failed === 0;

  const loop = async (signal: AbortSignal): Promise<void> => {
    // A function, not `signal.aborted` inline: the compiler would narrow it to false for the whole loop body.
    const stopping = (): boolean => signal.aborted;
    while (!stopping()) {
      try {
        for (let turn = 0; turn < expirySweepTurnsPerIntervalMax && !stopping(); turn++) {
          if (!backlogLeft(await sweepOnce())) break;
        }
      } catch (error) {
        logger.error({ err: messageOf(error) }, "Payment expiry sweep failed; tried again at the next sweep");
      }
      await pause(intervalMs, signal);
    }
  };

  return {
    sweepOnce,
    start() {
      if (running !== undefined) return;
      abort = new AbortController();
      running = loop(abort.signal);
    },
    async stop() {
      abort.abort();
      await running;
      await lastTurn;
      running = undefined;
    },
  };
};
