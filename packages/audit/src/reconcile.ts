import { starsCurrency, type EventStore, type StarsLedger } from "@starledger/core";
import type { BotApi, BotApiError, StarTransaction } from "@starledger/telegram-adapter";
import { err, ok, type Result } from "neverthrow";
import type { AuditStoreError } from "./anchor.js";
import { readLedgerView, type LedgerCharge, type LedgerView } from "./ledger-view.js";
import { adminRefund, creditAdjustment, defaultServiceUrl, telegramRefund, webhookReplay } from "./reconcile-fixes.js";
import type {
  AmountMismatch,
  AppliedFix,
  ChargeNotOnTelegram,
  MissingCharge,
  MissingRefund,
  ReconcileReport,
  RefundNotOnTelegram,
  UncreditedChargeStatus,
} from "./reconcile-report.js";

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

type TelegramCharge = {
  readonly id: string;
  readonly starsAmount: number;
  readonly date: Date;
  readonly userId: number | undefined;
  readonly invoicePayload: string | undefined;
};
type TelegramRefund = { readonly id: string; readonly starsAmount: number; readonly date: Date };

type TelegramView = {
  readonly transactions: number;
  readonly complete: boolean;
  readonly charges: ReadonlyMap<string, TelegramCharge>;
  readonly refunds: ReadonlyMap<string, TelegramRefund>;
  readonly other: number;
};

/**
 * A user's payment arrives as an incoming transaction whose source is the user; its id is the
 * telegram_payment_charge_id. A refund is an outgoing transaction whose receiver is the user, with the
 * id of the refunded charge (Bot API, StarTransaction).
 */
const telegramView = (transactions: readonly StarTransaction[], complete: boolean): TelegramView => {
  const charges = new Map<string, TelegramCharge>();
  const refunds = new Map<string, TelegramRefund>();
  let other = 0;
  for (const t of transactions) {
    if (t.source?.type === "user" && t.receiver === undefined) {
      if (!charges.has(t.id)) {
        charges.set(t.id, {
          id: t.id,
          starsAmount: t.starsAmount,
          date: t.date,
          userId: t.source.userId,
          invoicePayload: t.source.invoicePayload,
        });
      }
    } else if (t.receiver?.type === "user" && t.source === undefined) {
      if (!refunds.has(t.id)) refunds.set(t.id, { id: t.id, starsAmount: t.starsAmount, date: t.date });
    } else {
      other++;
    }
  }
  return { transactions: transactions.length, complete, charges, refunds, other };
};

const sum = <T>(items: Iterable<T>, amount: (item: T) => number): number => {
  let total = 0;
  for (const item of items) total += amount(item);
  return total;
};

const compare = (
  ledger: LedgerView,
  telegram: TelegramView,
  generatedAt: Date,
  apply: boolean,
  serviceUrl: string,
  applied: readonly AppliedFix[],
): ReconcileReport => {
  const missingCharges: MissingCharge[] = [];
  const amountMismatches: AmountMismatch[] = [];
  for (const charge of telegram.charges.values()) {
    const recorded = ledger.charges.get(charge.id);
    if (recorded === undefined) {
      missingCharges.push(missingCharge(charge, ledger, telegram, serviceUrl));
    } else if (recorded.starsAmount !== charge.starsAmount) {
      amountMismatches.push({
        kind: recorded.kind,
        telegramPaymentChargeId: charge.id,
        paymentId: recorded.paymentId ?? null,
        ledgerStarsAmount: recorded.starsAmount,
        telegramStarsAmount: charge.starsAmount,
        fix:
          recorded.kind === "payment" && !recorded.refunded
            ? `refund it and let the user buy again: ${adminRefund(serviceUrl, recorded.paymentId ?? "")}`
            : "no credits depend on it; investigate how the ledger recorded another amount",
      });
    }
  }

  const chargesNotOnTelegram: ChargeNotOnTelegram[] = [];
  const missingRefunds: MissingRefund[] = [];
  const refundsNotOnTelegram: RefundNotOnTelegram[] = [];
  const uncreditedCharges: UncreditedChargeStatus[] = [];
  for (const recorded of ledger.charges.values()) {
    const id = recorded.telegramPaymentChargeId;
    const onTelegram = telegram.charges.has(id);
    const refundTx = telegram.refunds.get(id);
    const paymentId = recorded.paymentId ?? null;
    if (!onTelegram && refundTx === undefined) {
      chargesNotOnTelegram.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId,
        starsAmount: recorded.starsAmount,
        credits: recorded.credits,
        refundedInLedger: recorded.refunded,
        fix: notOnTelegramFix(recorded, serviceUrl),
      });
    } else if (refundTx !== undefined && !recorded.refunded) {
      missingRefunds.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId,
        starsAmount: refundTx.starsAmount,
        date: refundTx.date.toISOString(),
        fix:
          recorded.invoicePayload === undefined
            ? "replay Telegram's refunded_payment update for this charge"
            : webhookReplay(
                serviceUrl,
                {
                  telegramPaymentChargeId: id,
                  starsAmount: recorded.starsAmount,
                  invoicePayload: recorded.invoicePayload,
                  telegramUserId: recorded.payerUserId ?? recorded.ownerUserId,
                },
                "refunded_payment",
              ),
      });
    } else if (refundTx === undefined && recorded.refunded) {
      refundsNotOnTelegram.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId,
        starsAmount: recorded.starsAmount,
        fix: `refund it on Telegram (CHARGE_ALREADY_REFUNDED means Telegram's list was incomplete): ${refundOnTelegram(recorded)}`,
      });
    }
    if (recorded.kind !== "payment") {
      const refundedOnTelegram = refundTx !== undefined;
      const awaitingRefund = onTelegram && !refundedOnTelegram && !recorded.refunded;
      uncreditedCharges.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId,
        invoicePayload: recorded.invoicePayload ?? null,
        reason: recorded.reason ?? null,
        starsAmount: recorded.starsAmount,
        onTelegram,
        refundedInLedger: recorded.refunded,
        refundedOnTelegram,
        awaitingRefund,
        fix: awaitingRefund
          ? `the refund reactor in \`starledger serve\` retries it at start; by hand: ${refundOnTelegram(recorded)}, then record it: ${webhookReplay(
              serviceUrl,
              {
                telegramPaymentChargeId: id,
                starsAmount: recorded.starsAmount,
                invoicePayload: recorded.invoicePayload ?? "",
                telegramUserId: recorded.payerUserId,
              },
              "refunded_payment",
            )}`
          : null,
      });
    }
  }
  for (const refund of telegram.refunds.values()) {
    if (ledger.charges.has(refund.id) || telegram.charges.has(refund.id)) continue;
    missingRefunds.push({
      kind: "unknown",
      telegramPaymentChargeId: refund.id,
      paymentId: null,
      starsAmount: refund.starsAmount,
      date: refund.date.toISOString(),
      fix: "neither the ledger nor Telegram's list has the charge: read more pages (--max-pages) or investigate",
    });
  }

  const charges = [...ledger.charges.values()];
  const unreadable = ledger.unreadable;
  const discrepancies =
    missingCharges.length +
    chargesNotOnTelegram.length +
    amountMismatches.length +
    missingRefunds.length +
    refundsNotOnTelegram.length +
    uncreditedCharges.filter((u) => u.awaitingRefund).length +
    unreadable.length +
    (telegram.complete ? 0 : 1);
  return {
    ok: discrepancies === 0,
    discrepancies,
    generatedAt: generatedAt.toISOString(),
    apply,
    telegram: {
      transactions: telegram.transactions,
      complete: telegram.complete,
      charges: telegram.charges.size,
      starsReceived: sum(telegram.charges.values(), (c) => c.starsAmount),
      refunds: telegram.refunds.size,
      starsRefunded: sum(telegram.refunds.values(), (r) => r.starsAmount),
      other: telegram.other,
    },
    ledger: {
      events: ledger.events,
      payments: ledger.payments.size,
      pendingPayments: [...ledger.payments.values()].filter((p) => p.status === "PENDING").length,
      charges: charges.length,
      starsReceived: sum(charges, (c) => c.starsAmount),
      starsCredited: sum(charges, (c) => (c.kind === "payment" ? c.starsAmount : 0)),
      refunds: charges.filter((c) => c.refunded).length,
      starsRefunded: sum(charges, (c) => (c.refunded ? c.starsAmount : 0)),
      unreadable,
    },
    missingCharges,
    chargesNotOnTelegram,
    amountMismatches,
    missingRefunds,
    refundsNotOnTelegram,
    uncreditedCharges,
    applied,
  };
};

const refundOnTelegram = (recorded: LedgerCharge): string =>
  telegramRefund(recorded.payerUserId ?? recorded.ownerUserId, recorded.telegramPaymentChargeId);

const notOnTelegramFix = (recorded: LedgerCharge, serviceUrl: string): string => {
  if (recorded.kind !== "payment")
    return "no credits were given for it and Telegram holds no Stars to refund; investigate who sent the update";
  if (recorded.refunded || recorded.ownerUserId === undefined || recorded.credits === 0) {
    return "no credits remain from it; investigate who sent the update (a simulated webhook?)";
  }
  return `credits were given for a charge Telegram never made (a simulated or forged webhook?); take them back: ${creditAdjustment(
    serviceUrl,
    recorded.ownerUserId,
    -recorded.credits,
    `reconcile: charge ${recorded.telegramPaymentChargeId} is not on Telegram`,
  )}`;
};

const missingCharge = (
  charge: TelegramCharge,
  ledger: LedgerView,
  telegram: TelegramView,
  serviceUrl: string,
): MissingCharge => {
  const payment = charge.invoicePayload === undefined ? undefined : ledger.payments.get(charge.invoicePayload);
  const refundedOnTelegram = telegram.refunds.has(charge.id);
  const appliable = payment?.status === "PENDING" && !refundedOnTelegram;
  const fields = {
    telegramPaymentChargeId: charge.id,
    starsAmount: charge.starsAmount,
    invoicePayload: charge.invoicePayload ?? "",
    telegramUserId: charge.userId,
  };
  let fix: string;
  if (charge.invoicePayload === undefined) {
    fix = "Telegram gives no invoice_payload (not an invoice payment?): investigate; there is no update to replay";
  } else if (appliable) {
    fix = `starledger reconcile --apply (records it as the webhook would), or: ${webhookReplay(serviceUrl, fields, "successful_payment")}`;
  } else if (refundedOnTelegram) {
    fix = `record the charge and its refund: ${webhookReplay(serviceUrl, fields, "successful_payment")} && ${webhookReplay(serviceUrl, fields, "refunded_payment")}`;
  } else {
    fix = `record it (as an extra or unmatched charge, which the refund reactor then refunds): ${webhookReplay(serviceUrl, fields, "successful_payment")}`;
  }
  return {
    telegramPaymentChargeId: charge.id,
    starsAmount: charge.starsAmount,
    date: charge.date.toISOString(),
    telegramUserId: charge.userId ?? null,
    invoicePayload: charge.invoicePayload ?? null,
    paymentStatus: payment?.status ?? null,
    refundedOnTelegram,
    appliable,
    fix,
  };
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
  const before = await readLedgerView(options.store);
  if (before.isErr()) return err(before.error);
  const now = options.now();
  const first = compare(before.value, telegram, now, options.apply, serviceUrl, []);
  if (!options.apply || !first.missingCharges.some((m) => m.appliable)) return ok(first);

  const applied = await applyMissing(first.missingCharges, options.ledger, now);
  const after = await readLedgerView(options.store);
  if (after.isErr()) return err(after.error);
  return ok(compare(after.value, telegram, now, options.apply, serviceUrl, applied));
};
