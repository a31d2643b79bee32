import { starsCurrency, StoreUnavailableError, type EventStore, type StarsLedger } from "@starledger/core";
import { replay, type ReplayResult } from "@starledger/projections";
import type { BotApi, BotApiError } from "@starledger/telegram-adapter";
import { err, ok, type Result } from "neverthrow";
import type { AuditStoreError } from "./anchor.js";
import { compare, type LedgerSide } from "./reconcile-compare.js";
import { defaultServiceUrl } from "./reconcile-fixes.js";
import type { AppliedFix, MissingCharge, ReconcileReport } from "./reconcile-report.js";
import { telegramView } from "./telegram-view.js";

export type ReconcileOptions = {
  readonly store: EventStore;
  readonly ledger: Pick<StarsLedger, "recordSuccessfulPayment">;
  readonly botApi: Pick<BotApi, "getAllStarTransactions">;
  /** Record lost payments of PENDING invoices through the webhook's command path; everything else is only reported. */
  readonly apply: boolean;
  readonly now: () => Date;
  /** getStarTransactions pages (100 transactions each) to read at most; default the adapter's bound. */
  readonly maxPages?: number;
  /** Base URL of the service in suggested fix commands; default http://localhost:8001. */
  readonly serviceUrl?: string;
};

export type ReconcileError =
  AuditStoreError | { readonly type: "TelegramUnavailable"; readonly message: string; readonly error: BotApiError };

/** Correlation id on events that reconcile --apply writes, so the audit trail tells them from webhook deliveries. */
export const reconcileCorrelationId = "reconcile";

/** The ledger as the projections' read models show it after a replay from position 0. */
const readLedger = async (store: EventStore): Promise<Result<LedgerSide, AuditStoreError>> => {
  let replayed: ReplayResult;
  try {
    replayed = await replay(store);
  } catch (error) {
    if (error instanceof StoreUnavailableError) return err({ type: "StoreUnavailable", message: error.message });
    throw error;
  }
  const { models } = replayed;
  return ok({
    events: replayed.eventCount,
    payments: models.payments,
    pendingPayments: models.stats().byStatus.PENDING,
    charges: new Map(models.charges().map((charge) => [charge.telegramPaymentChargeId, charge])),
    unreadable: replayed.stopped.map((stop) => ({
      model: stop.model,
      position: stop.position.toString(),
      message: stop.message,
    })),
  });
};

const applyMissing = async (
  missing: readonly MissingCharge[],
  ledger: Pick<StarsLedger, "recordSuccessfulPayment">,
  now: Date,
): Promise<AppliedFix[]> => {
  const applied: AppliedFix[] = [];
  for (const charge of missing) {
    if (!charge.appliable || charge.invoicePayload === null) continue;
    const base = {
      telegramPaymentChargeId: charge.telegramPaymentChargeId,
      paymentId: charge.invoicePayload,
      starsAmount: charge.starsAmount,
    };
    const recorded = await ledger.recordSuccessfulPayment(
      {
        invoicePayload: charge.invoicePayload,
        telegramPaymentChargeId: charge.telegramPaymentChargeId,
        providerPaymentChargeId: "",
        currency: starsCurrency,
        totalAmount: charge.starsAmount,
        ...(charge.telegramUserId === null ? {} : { telegramUserId: charge.telegramUserId }),
        now,
      },
      { correlationId: reconcileCorrelationId },
    );
    if (recorded.isErr()) {
      applied.push({
        ...base,
        outcome: "failed",
        message: "message" in recorded.error ? recorded.error.message : recorded.error.type,
        position: null,
      });
      continue;
    }
    const outcome = recorded.value;
    const position = outcome.position === undefined ? null : outcome.position.toString();
    const message =
      outcome.kind === "paid"
        ? "credited, as the lost successful_payment would have"
        : outcome.kind === "uncredited"
          ? `kept aside to refund (${outcome.reason})`
          : outcome.kind === "duplicate"
            ? "already recorded meanwhile"
            : outcome.kind === "conflict"
              ? "recorded meanwhile on another payment; not credited"
              : "recorded as an unmatched charge";
    applied.push({ ...base, outcome: outcome.kind, message, position });
  }
  return applied;
};

/**
 * Compares every Star transaction Telegram lists with the ledger, matching on telegram_payment_charge_id.
 * With apply, a lost payment of a PENDING invoice is recorded through recordSuccessfulPayment (the webhook's
 * idempotent path; a second run finds it and writes nothing) and the ledger is compared again.
 */
export const reconcile = async (options: ReconcileOptions): Promise<Result<ReconcileReport, ReconcileError>> => {
  const serviceUrl = options.serviceUrl ?? defaultServiceUrl;
  const fetched = await options.botApi.getAllStarTransactions(
    options.maxPages === undefined ? {} : { maxPages: options.maxPages },
  );
  if (fetched.isErr()) {
    return err({
      type: "TelegramUnavailable",
      message: `getStarTransactions failed: ${fetched.error.message}`,
      error: fetched.error,
    });
  }
  const telegram = telegramView(fetched.value.transactions, fetched.value.complete);
  const before = await readLedger(options.store);
  if (before.isErr()) return err(before.error);
  const now = options.now();
  const comparing = { telegram, generatedAt: now, apply: options.apply, serviceUrl };
  const first = compare({ ...comparing, ledger: before.value, applied: [] });
  if (!options.apply || !first.missingCharges.some((m) => m.appliable)) return ok(first);

  const applied = await applyMissing(first.missingCharges, options.ledger, now);
  const after = await readLedger(options.store);
  if (after.isErr()) return err(after.error);
  return ok(compare({ ...comparing, ledger: after.value, applied }));
};
