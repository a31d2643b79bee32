import type { PaymentsReadModel, RecordedCharge } from "@starledger/projections";
import { adminRefund, creditAdjustment, telegramRefund, webhookReplay } from "./reconcile-fixes.js";
import type {
  AmountMismatch,
  AppliedFix,
  ChargeNotOnTelegram,
  LedgerTotals,
  MissingCharge,
  MissingRefund,
  ReconcileReport,
  RefundNotOnTelegram,
  TelegramTotals,
  UncreditedChargeStatus,
  UnreadableEvent,
} from "./reconcile-report.js";
import type { TelegramCharge, TelegramView } from "./telegram-view.js";

/** What reconciliation reads from the ledger: the projections' read models after a replay. */
export type LedgerSide = {
  /** Events read, ledger and foreign. */
  readonly events: number;
  readonly payments: Pick<PaymentsReadModel, "get" | "count">;
  readonly pendingPayments: number;
  /** Every charge recorded, by charge id, in the order first recorded. */
  readonly charges: ReadonlyMap<string, RecordedCharge>;
  /** Read models that stopped on an event they could not apply: the ledger side is incomplete after it. */
  readonly unreadable: readonly UnreadableEvent[];
};

export type CompareInput = {
  readonly ledger: LedgerSide;
  readonly telegram: TelegramView;
  readonly generatedAt: Date;
  readonly apply: boolean;
  /** Base URL of the service in suggested fix commands. */
  readonly serviceUrl: string;
  /** What this run recorded before the comparison. */
  readonly applied: readonly AppliedFix[];
};

const sum = <T>(items: Iterable<T>, amount: (item: T) => number): number => {
  let total = 0;
  for (const item of items) total += amount(item);
  return total;
};

const refundOnTelegram = (recorded: RecordedCharge): string =>
  telegramRefund(recorded.payerUserId ?? recorded.ownerUserId ?? undefined, recorded.telegramPaymentChargeId);

const notOnTelegramFix = (recorded: RecordedCharge, serviceUrl: string): string => {
  if (recorded.kind !== "payment")
    return "no credits were given for it and Telegram holds no Stars to refund; investigate who sent the update";
  if (recorded.refunded || recorded.ownerUserId === null || recorded.credits === 0) {
    return "no credits remain from it; investigate who sent the update (a simulated webhook?)";
  }
  return `credits were given for a charge Telegram never made (a simulated or forged webhook?); take them back: ${creditAdjustment(
    serviceUrl,
    recorded.ownerUserId,
    -recorded.credits,
    `reconcile: charge ${recorded.telegramPaymentChargeId} is not on Telegram`,
  )}`;
};

const missingCharge = (charge: TelegramCharge, input: CompareInput): MissingCharge => {
  const { ledger, telegram, serviceUrl } = input;
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

const amountMismatch = (charge: TelegramCharge, recorded: RecordedCharge, serviceUrl: string): AmountMismatch => ({
  kind: recorded.kind,
  telegramPaymentChargeId: charge.id,
  paymentId: recorded.paymentId,
  ledgerStarsAmount: recorded.starsAmount,
  telegramStarsAmount: charge.starsAmount,
  fix:
    recorded.kind === "payment" && !recorded.refunded
      ? `refund it and let the user buy again: ${adminRefund(serviceUrl, recorded.paymentId ?? "")}`
      : "no credits depend on it; investigate how the ledger recorded another amount",
});

/** Telegram's charges against the ledger's: the ones it never recorded, and the ones it recorded with another amount. */
const telegramChargesInLedger = (input: CompareInput) => {
  const missingCharges: MissingCharge[] = [];
  const amountMismatches: AmountMismatch[] = [];
  for (const charge of input.telegram.charges.values()) {
    const recorded = input.ledger.charges.get(charge.id);
    if (recorded === undefined) missingCharges.push(missingCharge(charge, input));
    else if (recorded.starsAmount !== charge.starsAmount)
      amountMismatches.push(amountMismatch(charge, recorded, input.serviceUrl));
  }
  return { missingCharges, amountMismatches };
};

const missingRefund = (
  recorded: RecordedCharge,
  refundTx: { readonly starsAmount: number; readonly date: Date },
  serviceUrl: string,
): MissingRefund => ({
  kind: recorded.kind,
  telegramPaymentChargeId: recorded.telegramPaymentChargeId,
  paymentId: recorded.paymentId,
  starsAmount: refundTx.starsAmount,
  date: refundTx.date.toISOString(),
  fix:
    recorded.invoicePayload === null
      ? "replay Telegram's refunded_payment update for this charge"
      : webhookReplay(
          serviceUrl,
          {
            telegramPaymentChargeId: recorded.telegramPaymentChargeId,
            starsAmount: recorded.starsAmount,
            invoicePayload: recorded.invoicePayload,
            telegramUserId: recorded.payerUserId ?? recorded.ownerUserId ?? undefined,
          },
          "refunded_payment",
        ),
});

const uncreditedCharge = (
  recorded: RecordedCharge,
  kind: "extra" | "unmatched",
  telegram: { readonly onTelegram: boolean; readonly refundedOnTelegram: boolean },
  serviceUrl: string,
): UncreditedChargeStatus => {
  const { onTelegram, refundedOnTelegram } = telegram;
  const awaitingRefund = onTelegram && !refundedOnTelegram && !recorded.refunded;
  const replay = webhookReplay(
    serviceUrl,
    {
      telegramPaymentChargeId: recorded.telegramPaymentChargeId,
      starsAmount: recorded.starsAmount,
      invoicePayload: recorded.invoicePayload ?? "",
      telegramUserId: recorded.payerUserId ?? undefined,
    },
    "refunded_payment",
  );
  return {
    kind,
    telegramPaymentChargeId: recorded.telegramPaymentChargeId,
    paymentId: recorded.paymentId,
    invoicePayload: recorded.invoicePayload,
    reason: recorded.reason,
    starsAmount: recorded.starsAmount,
    onTelegram,
    refundedInLedger: recorded.refunded,
    refundedOnTelegram,
    awaitingRefund,
    fix: awaitingRefund
      ? `the refund reactor in \`starledger serve\` retries it at start; by hand: ${refundOnTelegram(recorded)}, then record it: ${replay}`
      : null,
  };
};

/** The ledger's charges against Telegram: not there, refunded on one side only, and the uncredited ones' refunds. */
const ledgerChargesOnTelegram = (input: CompareInput) => {
  const { ledger, telegram, serviceUrl } = input;
  const chargesNotOnTelegram: ChargeNotOnTelegram[] = [];
  const missingRefunds: MissingRefund[] = [];
  const refundsNotOnTelegram: RefundNotOnTelegram[] = [];
  const uncreditedCharges: UncreditedChargeStatus[] = [];
  for (const recorded of ledger.charges.values()) {
    const id = recorded.telegramPaymentChargeId;
    const onTelegram = telegram.charges.has(id);
    const refundTx = telegram.refunds.get(id);
    if (!onTelegram && refundTx === undefined) {
      chargesNotOnTelegram.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId: recorded.paymentId,
        starsAmount: recorded.starsAmount,
        credits: recorded.credits,
        refundedInLedger: recorded.refunded,
        fix: notOnTelegramFix(recorded, serviceUrl),
      });
    } else if (refundTx !== undefined && !recorded.refunded) {
      missingRefunds.push(missingRefund(recorded, refundTx, serviceUrl));
    } else if (refundTx === undefined && recorded.refunded) {
      refundsNotOnTelegram.push({
        kind: recorded.kind,
        telegramPaymentChargeId: id,
        paymentId: recorded.paymentId,
        starsAmount: recorded.starsAmount,
        fix: `refund it on Telegram (CHARGE_ALREADY_REFUNDED means Telegram's list was incomplete): ${refundOnTelegram(recorded)}`,
      });
    }
    if (recorded.kind !== "payment") {
      const sides = { onTelegram, refundedOnTelegram: refundTx !== undefined };
      uncreditedCharges.push(uncreditedCharge(recorded, recorded.kind, sides, serviceUrl));
    }
  }
  return { chargesNotOnTelegram, missingRefunds, refundsNotOnTelegram, uncreditedCharges };
};

/** Refunds Telegram made of charges that neither side lists. */
const refundsOfUnknownCharges = ({ ledger, telegram }: CompareInput): MissingRefund[] =>
  [...telegram.refunds.values()]
    .filter((refund) => !ledger.charges.has(refund.id) && !telegram.charges.has(refund.id))
    .map((refund) => ({
      kind: "unknown",
      telegramPaymentChargeId: refund.id,
      paymentId: null,
      starsAmount: refund.starsAmount,
      date: refund.date.toISOString(),
      fix: "neither the ledger nor Telegram's list has the charge: read more pages (--max-pages) or investigate",
    }));

const telegramTotals = (telegram: TelegramView): TelegramTotals => ({
  transactions: telegram.transactions,
  complete: telegram.complete,
  charges: telegram.charges.size,
  starsReceived: sum(telegram.charges.values(), (c) => c.starsAmount),
  refunds: telegram.refunds.size,
  starsRefunded: sum(telegram.refunds.values(), (r) => r.starsAmount),
  other: telegram.other,
});

const ledgerTotals = (ledger: LedgerSide): LedgerTotals => {
  const charges = [...ledger.charges.values()];
  return {
    events: ledger.events,
    payments: ledger.payments.count(),
    pendingPayments: ledger.pendingPayments,
    charges: charges.length,
    starsReceived: sum(charges, (c) => c.starsAmount),
    starsCredited: sum(charges, (c) => (c.kind === "payment" ? c.starsAmount : 0)),
    refunds: charges.filter((c) => c.refunded).length,
    starsRefunded: sum(charges, (c) => (c.refunded ? c.starsAmount : 0)),
    unreadable: ledger.unreadable,
  };
};

/** The report: every charge and refund on either side matched on telegram_payment_charge_id. */
export const compare = (input: CompareInput): ReconcileReport => {
  const { missingCharges, amountMismatches } = telegramChargesInLedger(input);
  const fromLedger = ledgerChargesOnTelegram(input);
  const missingRefunds = [...fromLedger.missingRefunds, ...refundsOfUnknownCharges(input)];
  const discrepancies =
    missingCharges.length +
    fromLedger.chargesNotOnTelegram.length +
    amountMismatches.length +
    missingRefunds.length +
    fromLedger.refundsNotOnTelegram.length +
    fromLedger.uncreditedCharges.filter((u) => u.awaitingRefund).length +
    input.ledger.unreadable.length +
    (input.telegram.complete ? 0 : 1);
  return {
    ok: discrepancies === 0,
    discrepancies,
    generatedAt: input.generatedAt.toISOString(),
    apply: input.apply,
    telegram: telegramTotals(input.telegram),
    ledger: ledgerTotals(input.ledger),
    missingCharges,
    chargesNotOnTelegram: fromLedger.chargesNotOnTelegram,
    amountMismatches,
    missingRefunds,
    refundsNotOnTelegram: fromLedger.refundsNotOnTelegram,
    uncreditedCharges: fromLedger.uncreditedCharges,
    applied: input.applied,
  };
};
