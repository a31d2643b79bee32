import {
  parseLedgerEvent,
  paymentStream,
  unmatchedChargeStream,
  type EventStore,
  type RecordedEvent,
  type StarsLedger,
  type StoreError,
  type Subscription,
} from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { isChargeAlreadyRefunded, isTransientBotApiError } from "./bot-api-errors.js";
import type { BotApi } from "./bot-api.js";
import type { Logger } from "./logger.js";

/** Attempts per charge before it is left for reconciliation (it is tried again at the next start). */
export const defaultRefundAttemptsMax = 10;
/** Backoff between attempts: base x 2^(attempt-1), capped. */
export const defaultRefundRetryBaseMs = 1_000;
export const defaultRefundRetryMaxMs = 5 * 60_000;
/** The worker looks at its queue at least this often, even without news. */
const idleWaitMs = 60_000;

export type RefundReactorOptions = {
  readonly store: EventStore;
  readonly ledger: Pick<StarsLedger, "recordExtraChargeRefunded" | "recordUnmatchedChargeRefunded">;
  readonly botApi: Pick<BotApi, "refundStarPayment">;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly retry?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number; readonly attemptsMax?: number };
};

export type RefundReactor = {
  /** Replays the stream from 0 to find charges received but not refunded, then follows live appends. */
  start(): Promise<void>;
  /** Stops following; resolves once no refund is in flight. */
  stop(): Promise<void>;
  /** Charges waiting for a refund (received, not yet refunded, not given up on). */
  pendingCount(): number;
};

const refundEventTypes: ReadonlySet<string> = new Set([
  "ExtraChargeReceived",
  "ExtraChargeRefunded",
  "UnmatchedChargeReceived",
  "UnmatchedChargeRefunded",
]);

type PendingRefund = {
  readonly kind: "extra" | "unmatched";
  readonly chargeId: string;
  readonly paymentId: string | undefined;
  readonly userId: number;
  readonly starsAmount: number;
  readonly correlationId: string;
  readonly causationId: string;
  attempts: number;
  dueAtMs: number;
};

const keyOf = (kind: PendingRefund["kind"], chargeId: string): string => `${kind}:${chargeId}`;

/**
 * Refunds the charges the ledger keeps aside: an ExtraChargeReceived (a second charge on a paid invoice, or a
 * mismatched one) and an UnmatchedChargeReceived with a payer. The events are the checkpoint: a charge is due
 * until its *Refunded event exists. Telegram refuses a second refund of a charge (CHARGE_ALREADY_REFUNDED), which
 * counts as done, so a crash between the API call and the event is retried at restart and never doubled.
 */
export const createRefundReactor = (options: RefundReactorOptions): RefundReactor => {
  const { store, ledger, botApi, logger } = options;
  const now = options.now ?? (() => new Date());
  const baseDelayMs = options.retry?.baseDelayMs ?? defaultRefundRetryBaseMs;
  const maxDelayMs = options.retry?.maxDelayMs ?? defaultRefundRetryMaxMs;
  const attemptsMax = options.retry?.attemptsMax ?? defaultRefundAttemptsMax;

  const pending = new Map<string, PendingRefund>();
  let subscription: Subscription | undefined;
  let worker: Promise<void> | undefined;
  let stopping = false;
  let caughtUp = false;
  let catchUpTarget = 0n;
  let wake: (() => void) | undefined;

  const notify = (): void => {
    wake?.();
  };
  const waitForNews = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const fieldsOf = (item: PendingRefund) => ({
    chargeId: item.chargeId,
    paymentId: item.paymentId,
    userId: item.userId,
    starsAmount: item.starsAmount,
    attempt: item.attempts + 1,
  });

  const onEvent = (recorded: RecordedEvent): void => {
    if (recorded.position >= catchUpTarget && !caughtUp) caughtUp = true;
    if (!refundEventTypes.has(recorded.type)) {
      if (caughtUp) notify();
      return;
    }
    const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
    if (!parsed.ok) {
      logger.error(
        { eventId: recorded.id, stream: recorded.stream, detail: parsed.error.message },
        "Refund reactor skipped an unreadable event",
      );
      return;
    }
    const event = parsed.event;
    const correlationId = recorded.metadata.correlationId ?? `refund-${recorded.id}`;
    switch (event.type) {
      case "ExtraChargeReceived":
        pending.set(keyOf("extra", event.data.telegramPaymentChargeId), {
          kind: "extra",
          chargeId: event.data.telegramPaymentChargeId,
          paymentId: event.data.paymentId,
          userId: event.data.telegramUserId,
          starsAmount: event.data.totalAmount,
          correlationId,
          causationId: recorded.id,
          attempts: 0,
          dueAtMs: 0,
        });
        break;
      case "ExtraChargeRefunded":
        pending.delete(keyOf("extra", event.data.telegramPaymentChargeId));
        break;
      case "UnmatchedChargeReceived":
        if (event.data.telegramUserId === undefined) {
          logger.error(
            {
              chargeId: event.data.telegramPaymentChargeId,
              invoicePayload: event.data.invoicePayload,
              starsAmount: event.data.totalAmount,
            },
            "Unmatched charge without a user id cannot be refunded automatically; left for reconciliation",
          );
          break;
        }
        pending.set(keyOf("unmatched", event.data.telegramPaymentChargeId), {
          kind: "unmatched",
          chargeId: event.data.telegramPaymentChargeId,
          paymentId: undefined,
          userId: event.data.telegramUserId,
          starsAmount: event.data.totalAmount,
          correlationId,
          causationId: recorded.id,
          attempts: 0,
          dueAtMs: 0,
        });
        break;
      case "UnmatchedChargeRefunded":
        pending.delete(keyOf("unmatched", event.data.telegramPaymentChargeId));
        break;
      default:
        break;
    }
    if (caughtUp) notify();
  };

  /** Read back just before calling Telegram: another instance (or a refunded_payment update) may have finished it. */
  const alreadyRefunded = async (item: PendingRefund): Promise<Result<boolean, StoreError>> => {
    const stream =
      item.kind === "extra" && item.paymentId !== undefined
        ? paymentStream(item.paymentId)
        : unmatchedChargeStream(item.chargeId);
    const refundedType = item.kind === "extra" ? "ExtraChargeRefunded" : "UnmatchedChargeRefunded";
    const read = await store.readStream(stream);
    if (read.isErr()) return err(read.error);
    return ok(
      read.value.events.some((e) => e.type === refundedType && e.data.telegramPaymentChargeId === item.chargeId),
    );
  };

  const giveUp = (item: PendingRefund, why: string): void => {
    pending.delete(keyOf(item.kind, item.chargeId));
    logger.error({ ...fieldsOf(item), why }, "Automatic refund failed; left for reconciliation");
  };

  const retryLater = (item: PendingRefund, why: string): void => {
    item.attempts++;
    if (item.attempts >= attemptsMax) {
      giveUp(item, `${why} (after ${item.attempts} attempts; tried again at the next start)`);
      return;
    }
    const delayMs = Math.min(baseDelayMs * 2 ** (item.attempts - 1), maxDelayMs);
    item.dueAtMs = Date.now() + delayMs;
    logger.warn({ ...fieldsOf(item), why, delayMs }, "Automatic refund will be retried");
  };

  const refund = async (item: PendingRefund): Promise<void> => {
    const done = await alreadyRefunded(item);
    if (done.isErr()) {
      retryLater(item, `store: ${done.error.type}`);
      return;
    }
    if (done.value) {
      pending.delete(keyOf(item.kind, item.chargeId));
      return;
    }
    const answered = await botApi.refundStarPayment({ userId: item.userId, telegramPaymentChargeId: item.chargeId });
    if (answered.isErr()) {
      if (isChargeAlreadyRefunded(answered.error)) {
        logger.info(fieldsOf(item), "Telegram says the charge is already refunded; recording the refund");
      } else {
        if (isTransientBotApiError(answered.error)) retryLater(item, answered.error.message);
        else giveUp(item, answered.error.message);
        return;
      }
    }
    const context = { correlationId: item.correlationId, causationId: item.causationId };
    const recorded =
      item.kind === "extra" && item.paymentId !== undefined
        ? await ledger.recordExtraChargeRefunded(item.paymentId, item.chargeId, now(), context)
        : await ledger.recordUnmatchedChargeRefunded(item.chargeId, now(), context);
    if (recorded.isErr()) {
      retryLater(item, `refunded, not yet recorded: ${recorded.error.type}`);
      return;
    }
    pending.delete(keyOf(item.kind, item.chargeId));
    logger.info(fieldsOf(item), item.kind === "extra" ? "Extra charge refunded" : "Unmatched charge refunded");
  };

  const run = async (): Promise<void> => {
    while (!stopping) {
      if (!caughtUp) {
        await waitForNews(idleWaitMs);
        continue;
      }
      const nowMs = Date.now();
      const items = [...pending.values()];
      const due = items.find((item) => item.dueAtMs <= nowMs);
      if (due === undefined) {
        const nextDueMs = Math.min(...items.map((item) => item.dueAtMs), nowMs + idleWaitMs);
        await waitForNews(nextDueMs - nowMs);
        continue;
      }
      try {
        await refund(due);
      } catch (error) {
        retryLater(due, error instanceof Error ? error.message : String(error));
      }
    }
  };

  return {
    async start() {
      if (worker !== undefined) return;
      stopping = false;
      const head = await store.headPosition();
      if (head.isErr())
        logger.warn(
          { error: head.error.type },
          "Refund reactor could not read the head position; refunding while catching up",
        );
      catchUpTarget = head.isOk() ? head.value : 0n;
      caughtUp = catchUpTarget === 0n;
      subscription = store.subscribe(
        {
          after: 0n,
          onError: (error) => {
            logger.error({ err: error }, "Refund reactor subscription stopped");
          },
        },
        onEvent,
      );
      worker = run();
    },
    async stop() {
      stopping = true;
      notify();
      await subscription?.close();
      await worker;
      subscription = undefined;
      worker = undefined;
    },
    pendingCount: () => pending.size,
  };
};
