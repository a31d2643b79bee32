import type { PaymentStatus } from "@starledger/core";
import type { ChargeKind } from "@starledger/projections";

/** How the ledger recorded a charge: a payment's credited charge, an extra charge on a payment, or unmatched. */
export type LedgerChargeKind = ChargeKind;

/**
 * A ledger event a read model could not apply (it does not decode, or the model's history cannot explain it). The
 * model stops there and shows nothing after it, so the comparison is incomplete: a discrepancy.
 */
export type UnreadableEvent = {
  /** The read model that stopped. */
  readonly model: string;
  /** Global position of the event, as a decimal string. */
  readonly position: string;
  /** Why, naming the event's position and stream. */
  readonly message: string;
};

/** A charge Telegram has that the ledger never recorded (a lost successful_payment webhook). */
export type MissingCharge = {
  readonly telegramPaymentChargeId: string;
  readonly starsAmount: number;
  /** ISO time of the Telegram transaction. */
  readonly date: string;
  readonly telegramUserId: number | null;
  readonly invoicePayload: string | null;
  /** Status of the payment the invoice_payload names; null when it names none. */
  readonly paymentStatus: PaymentStatus | null;
  readonly refundedOnTelegram: boolean;
  /** `reconcile --apply` would record it: the payload names a PENDING payment and Telegram did not refund it. */
  readonly appliable: boolean;
  readonly fix: string;
};

/** A charge the ledger recorded that Telegram does not list. */
export type ChargeNotOnTelegram = {
  readonly kind: LedgerChargeKind;
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  readonly starsAmount: number;
  readonly credits: number;
  readonly refundedInLedger: boolean;
  readonly fix: string;
};

export type AmountMismatch = {
  readonly kind: LedgerChargeKind;
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  readonly ledgerStarsAmount: number;
  readonly telegramStarsAmount: number;
  readonly fix: string;
};

/** A refund Telegram made that the ledger does not show. kind "unknown": the ledger never had the charge either. */
export type MissingRefund = {
  readonly kind: LedgerChargeKind | "unknown";
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  readonly starsAmount: number;
  readonly date: string;
  readonly fix: string;
};

/** A refund the ledger shows that Telegram does not list. */
export type RefundNotOnTelegram = {
  readonly kind: LedgerChargeKind;
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  readonly starsAmount: number;
  readonly fix: string;
};

/** An extra or unmatched charge (never credited, always to be refunded), and its refund on each side. */
export type UncreditedChargeStatus = {
  readonly kind: "extra" | "unmatched";
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  readonly invoicePayload: string | null;
  readonly reason: string | null;
  readonly starsAmount: number;
  readonly onTelegram: boolean;
  readonly refundedInLedger: boolean;
  readonly refundedOnTelegram: boolean;
  /** On Telegram and refunded on neither side: Stars held that must go back. A discrepancy. */
  readonly awaitingRefund: boolean;
  readonly fix: string | null;
};

export type AppliedFix = {
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string;
  readonly starsAmount: number;
  /**
   * What the webhook command path decided: paid (credited), uncredited (kept aside to refund), duplicate,
   * conflict (another payment recorded the charge meanwhile: not credited), or failed.
   */
  readonly outcome: "paid" | "uncredited" | "duplicate" | "unmatched" | "conflict" | "failed";
  readonly message: string;
  /** Global position of the last event written, as a decimal string; null when nothing was written. */
  readonly position: string | null;
};

export type TelegramTotals = {
  readonly transactions: number;
  /** False when the page bound stopped the walk: the comparison is then incomplete and not ok. */
  readonly complete: boolean;
  readonly charges: number;
  readonly starsReceived: number;
  readonly refunds: number;
  readonly starsRefunded: number;
  /** Transactions that are neither a user's payment nor a refund to a user (withdrawals, ads, ...): not compared. */
  readonly other: number;
};

export type LedgerTotals = {
  readonly events: number;
  readonly payments: number;
  readonly pendingPayments: number;
  /** Every charge recorded: credited payments, extra and unmatched charges. */
  readonly charges: number;
  readonly starsReceived: number;
  /** Stars of credited payments only. */
  readonly starsCredited: number;
  readonly refunds: number;
  readonly starsRefunded: number;
  readonly unreadable: readonly UnreadableEvent[];
};

/** JSON-ready (no bigint, no Date): `--json` prints JSON.stringify(report). */
export type ReconcileReport = {
  readonly ok: boolean;
  /** Every listed problem; 0 exactly when ok. */
  readonly discrepancies: number;
  readonly generatedAt: string;
  readonly apply: boolean;
  readonly telegram: TelegramTotals;
  readonly ledger: LedgerTotals;
  readonly missingCharges: readonly MissingCharge[];
  readonly chargesNotOnTelegram: readonly ChargeNotOnTelegram[];
  readonly amountMismatches: readonly AmountMismatch[];
  readonly missingRefunds: readonly MissingRefund[];
  readonly refundsNotOnTelegram: readonly RefundNotOnTelegram[];
  readonly uncreditedCharges: readonly UncreditedChargeStatus[];
  /** What this run recorded (apply only); the lists above describe the ledger after it. */
  readonly applied: readonly AppliedFix[];
};

const yesNo = (flag: boolean): string => (flag ? "yes" : "no");

const section = <T>(lines: string[], title: string, items: readonly T[], describe: (item: T) => string[]): void => {
  lines.push(`${title}: ${items.length === 0 ? "none" : String(items.length)}`);
  for (const item of items) {
    const [head, ...rest] = describe(item);
    lines.push(`  - ${head ?? ""}`);
    for (const more of rest) lines.push(`    ${more}`);
  }
};

const paymentOf = (paymentId: string | null): string => (paymentId === null ? "" : ` (payment ${paymentId})`);

/** Human text, no trailing newline. The last line starts with "OK:" or "NOT OK:"; the CLI exits 0 on ok, 1 otherwise. */
export const formatReconcileReport = (report: ReconcileReport): string => {
  const lines: string[] = [];
  const t = report.telegram;
  const l = report.ledger;
  lines.push(`Reconciliation at ${report.generatedAt}${report.apply ? " (apply)" : ""}`);
  lines.push(
    `Telegram: ${t.transactions} transactions${t.complete ? "" : " (INCOMPLETE: page limit reached)"}; ` +
      `${t.charges} charges, ${t.starsReceived} Stars received; ${t.refunds} refunds, ${t.starsRefunded} Stars refunded; ${t.other} other`,
  );
  lines.push(
    `Ledger:   ${l.events} events, ${l.payments} payments (${l.pendingPayments} pending); ` +
      `${l.charges} charges, ${l.starsReceived} Stars received (${l.starsCredited} credited); ${l.refunds} refunds, ${l.starsRefunded} Stars refunded`,
  );
  if (l.unreadable.length > 0) {
    section(lines, "Ledger events a read model could not apply (it shows nothing after them)", l.unreadable, (u) => [
      `${u.model}: ${u.message}`,
    ]);
  }
  section(lines, "Charges Telegram has that the ledger never recorded", report.missingCharges, (m) => [
    `${m.telegramPaymentChargeId}: ${m.starsAmount} Stars from user ${m.telegramUserId === null ? "?" : String(m.telegramUserId)} on ${m.date}, ` +
      `invoice_payload ${m.invoicePayload ?? "(none)"}${m.paymentStatus === null ? "" : ` (payment ${m.paymentStatus})`}` +
      (m.refundedOnTelegram ? ", refunded on Telegram" : ""),
    `fix: ${m.fix}`,
  ]);
  section(lines, "Ledger charges with no Telegram transaction", report.chargesNotOnTelegram, (c) => [
    `${c.telegramPaymentChargeId}: ${c.kind} charge of ${c.starsAmount} Stars${paymentOf(c.paymentId)}, ${c.credits} credits, refunded in ledger: ${yesNo(c.refundedInLedger)}`,
    `fix: ${c.fix}`,
  ]);
  section(lines, "Amount mismatches", report.amountMismatches, (a) => [
    `${a.telegramPaymentChargeId}: ledger ${a.ledgerStarsAmount} Stars, Telegram ${a.telegramStarsAmount} Stars (${a.kind}${paymentOf(a.paymentId)})`,
    `fix: ${a.fix}`,
  ]);
  section(lines, "Refunds Telegram made that the ledger does not show", report.missingRefunds, (r) => [
    `${r.telegramPaymentChargeId}: ${r.starsAmount} Stars on ${r.date} (${r.kind}${paymentOf(r.paymentId)})`,
    `fix: ${r.fix}`,
  ]);
  section(lines, "Refunds the ledger shows that Telegram does not", report.refundsNotOnTelegram, (r) => [
    `${r.telegramPaymentChargeId}: ${r.starsAmount} Stars (${r.kind}${paymentOf(r.paymentId)})`,
    `fix: ${r.fix}`,
  ]);
  section(lines, "Extra and unmatched charges", report.uncreditedCharges, (u) => [
    `${u.telegramPaymentChargeId}: ${u.kind}${u.reason === null ? "" : ` (${u.reason})`}, ${u.starsAmount} Stars${paymentOf(u.paymentId)}; ` +
      `on Telegram: ${yesNo(u.onTelegram)}, refunded in ledger: ${yesNo(u.refundedInLedger)}, refunded on Telegram: ${yesNo(u.refundedOnTelegram)}` +
      (u.awaitingRefund ? " - AWAITING REFUND" : ""),
    ...(u.fix === null ? [] : [`fix: ${u.fix}`]),
  ]);
  if (report.apply) {
    section(lines, "Applied", report.applied, (a) => [
      `${a.telegramPaymentChargeId} -> payment ${a.paymentId}: ${a.outcome}${a.position === null ? "" : ` at position ${a.position}`}: ${a.message}`,
    ]);
  }
  lines.push(
    report.ok
      ? "OK: the ledger matches Telegram"
      : `NOT OK: ${report.discrepancies} discrepanc${report.discrepancies === 1 ? "y" : "ies"}${report.missingCharges.some((m) => m.appliable) ? " (reconcile --apply records the lost payments of pending invoices)" : ""}`,
  );
  return lines.join("\n");
};

/** `--json`: one JSON object on one line. */
export const reconcileReportJson = (report: ReconcileReport): string => JSON.stringify(report);
