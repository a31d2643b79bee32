import type { EventOf, LedgerEvent } from "@starledger/core";
import { isoMillis } from "./iso-millis.js";
import { InconsistentHistoryError } from "./ledger-event-decoder.js";
import { pageSizeMax, resolvePageSize } from "./pagination.js";

/** A charge whose invoice payload named no payment: recorded on its own stream, to be refunded. */
export type UnmatchedChargeView = {
  readonly telegramPaymentChargeId: string;
  readonly providerPaymentChargeId: string | null;
  readonly invoicePayload: string | null;
  readonly currency: string | null;
  readonly telegramUserId: number | null;
  readonly starsAmount: number;
  /** Null only for a refund recorded without the charge itself (the decider's evolve allows it). */
  readonly receivedAt: string | null;
  readonly refunded: boolean;
  readonly refundedAt: string | null;
};

export type UnmatchedChargesReadModel = {
  get(telegramPaymentChargeId: string): UnmatchedChargeView | undefined;
  count(): number;
  /** Charges not yet refunded, oldest first, at most `limit` (<= pageSizeMax). */
  pendingRefund(limit?: number): readonly UnmatchedChargeView[];
};

export type UnmatchedChargeRecord = { -readonly [K in keyof UnmatchedChargeView]: UnmatchedChargeView[K] } & {
  receivedAtMs: number;
  refundedAtMs: number;
  /** Global position of the event that first recorded the charge (its receipt, or a refund seen first). */
  readonly seq: number;
};

const toView = (record: UnmatchedChargeRecord): UnmatchedChargeView => ({
  telegramPaymentChargeId: record.telegramPaymentChargeId,
  providerPaymentChargeId: record.providerPaymentChargeId,
  invoicePayload: record.invoicePayload,
  currency: record.currency,
  telegramUserId: record.telegramUserId,
  starsAmount: record.starsAmount,
  receivedAt: record.receivedAt,
  refunded: record.refunded,
  refundedAt: record.refundedAt,
});

const blank = (telegramPaymentChargeId: string, starsAmount: number, seq: number): UnmatchedChargeRecord => ({
  telegramPaymentChargeId,
  providerPaymentChargeId: null,
  invoicePayload: null,
  currency: null,
  telegramUserId: null,
  starsAmount,
  receivedAt: null,
  receivedAtMs: Number.NaN,
  refunded: false,
  refundedAt: null,
  refundedAtMs: Number.NaN,
  seq,
});

export class UnmatchedChargesProjection implements UnmatchedChargesReadModel {
  private readonly byChargeId = new Map<string, UnmatchedChargeRecord>();

  /** `seq` is the global position of the event, a safe integer. */
  apply(event: LedgerEvent, seq: number): void {
    if (event.type === "UnmatchedChargeReceived") this.received(event, seq);
    else if (event.type === "UnmatchedChargeRefunded") this.refunded(event, seq);
  }

  get(telegramPaymentChargeId: string): UnmatchedChargeView | undefined {
    const record = this.byChargeId.get(telegramPaymentChargeId);
    return record === undefined ? undefined : toView(record);
  }

  count(): number {
    return this.byChargeId.size;
  }

  pendingRefund(limit: number = pageSizeMax): readonly UnmatchedChargeView[] {
    const size = resolvePageSize(limit) ?? pageSizeMax;
    const views: UnmatchedChargeView[] = [];
    for (const record of this.byChargeId.values()) {
      if (views.length >= size) break;
      if (!record.refunded) views.push(toView(record));
    }
    return views;
  }

  /** Every row in the order first recorded; internal, for stats and comparisons. */
  records(): Iterable<UnmatchedChargeRecord> {
    return this.byChargeId.values();
  }

  private received(event: EventOf<"UnmatchedChargeReceived">, seq: number): void {
    const data = event.data;
    const existing = this.byChargeId.get(data.telegramPaymentChargeId);
    if (existing !== undefined && existing.receivedAt !== null) {
      throw new InconsistentHistoryError(`UnmatchedChargeReceived again for charge ${data.telegramPaymentChargeId}`);
    }
    const record = existing ?? blank(data.telegramPaymentChargeId, data.totalAmount, seq);
    record.providerPaymentChargeId = data.providerPaymentChargeId;
    record.invoicePayload = data.invoicePayload;
    record.currency = data.currency;
    record.telegramUserId = data.telegramUserId ?? null;
    record.starsAmount = data.totalAmount;
    record.receivedAt = data.receivedAt;
    record.receivedAtMs = isoMillis(data.receivedAt);
    this.byChargeId.set(data.telegramPaymentChargeId, record);
  }

  private refunded(event: EventOf<"UnmatchedChargeRefunded">, seq: number): void {
    const data = event.data;
    const record =
      this.byChargeId.get(data.telegramPaymentChargeId) ?? blank(data.telegramPaymentChargeId, data.totalAmount, seq);
    record.refunded = true;
    record.refundedAt = data.refundedAt;
    record.refundedAtMs = isoMillis(data.refundedAt);
    this.byChargeId.set(data.telegramPaymentChargeId, record);
  }
}
