import type { UncreditedChargeReason } from "@starledger/core";
import type { PaymentRecord } from "./payment-view.js";
import type { UnmatchedChargeRecord } from "./unmatched-charges.js";

/** A payment's credited charge, a second (extra) charge on a payment, or a charge whose payload named no payment. */
export type ChargeKind = "payment" | "extra" | "unmatched";

/** A Telegram charge the ledger recorded, from the payments and unmatched-charges models: what reconciliation compares. */
export type RecordedCharge = {
  readonly kind: ChargeKind;
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | null;
  /** The invoice_payload it came with: the paymentId for a payment's charges; null for a refund seen without its charge. */
  readonly invoicePayload: string | null;
  readonly starsAmount: number;
  /** Credits given for it (a payment's); 0 for extra and unmatched charges. */
  readonly credits: number;
  /** The payment's owner, whose balance holds the credits; null for an unmatched charge. */
  readonly ownerUserId: number | null;
  /** Who paid, when known: refunds go to the payer. */
  readonly payerUserId: number | null;
  /** Why an extra charge was not credited. */
  readonly reason: UncreditedChargeReason | null;
  readonly refunded: boolean;
  /** Global position of the event that first recorded it. */
  readonly seq: number;
};

const paymentCharges = (record: PaymentRecord): RecordedCharge[] => {
  const extra = record.extraCharges.map((charge): RecordedCharge => ({
    kind: "extra",
    telegramPaymentChargeId: charge.telegramPaymentChargeId,
    paymentId: record.paymentId,
    invoicePayload: record.paymentId,
    starsAmount: charge.starsAmount,
    credits: 0,
    ownerUserId: record.userId,
    payerUserId: charge.telegramUserId,
    reason: charge.reason,
    refunded: charge.refunded,
    seq: charge.seq,
  }));
  if (record.telegramPaymentChargeId === null) return extra;
  const credited: RecordedCharge = {
    kind: "payment",
    telegramPaymentChargeId: record.telegramPaymentChargeId,
    paymentId: record.paymentId,
    invoicePayload: record.paymentId,
    starsAmount: record.paidStarsAmount,
    credits: record.paidCredits,
    ownerUserId: record.userId,
    payerUserId: record.payerTelegramUserId,
    reason: null,
    refunded: record.status === "REFUNDED",
    seq: record.paidSeq,
  };
  return [credited, ...extra];
};

const unmatchedCharge = (record: UnmatchedChargeRecord): RecordedCharge => ({
  kind: "unmatched",
  telegramPaymentChargeId: record.telegramPaymentChargeId,
  paymentId: null,
  invoicePayload: record.invoicePayload,
  starsAmount: record.starsAmount,
  credits: 0,
  ownerUserId: null,
  payerUserId: record.telegramUserId,
  reason: null,
  refunded: record.refunded,
  seq: record.seq,
});

/** Every charge the two models hold, in the order the ledger first recorded them. */
export const recordedCharges = (
  payments: readonly PaymentRecord[],
  unmatchedCharges: Iterable<UnmatchedChargeRecord>,
): RecordedCharge[] =>
  [...payments.flatMap(paymentCharges), ...[...unmatchedCharges].map(unmatchedCharge)].sort((a, b) => a.seq - b.seq);
