import type { LedgerEvent, EventOf } from "@starledger/core";
import { isoMillis } from "./iso-millis.js";
import { InconsistentHistoryError } from "./ledger-event-decoder.js";
import {
  decodeCursor,
  encodeCursor,
  insertSorted,
  invalidPage,
  lowerBound,
  pageSizeMax,
  resolvePageSize,
  type PageRequest,
} from "./pagination.js";
import {
  toView,
  type PaymentListQuery,
  type PaymentPageResult,
  type PaymentRecord,
  type PaymentsReadModel,
  type PaymentView,
} from "./payment-view.js";

export {
  type ChargeConflictView,
  type ExtraChargeRecord,
  type ExtraChargeView,
  type PaymentListQuery,
  type PaymentPage,
  type PaymentPageResult,
  type PaymentRecord,
  type PaymentsReadModel,
  type PaymentView,
} from "./payment-view.js";

const noTime = Number.NaN;

/**
 * The payments read model: one row per payment, an index by creation time and one per user.
 * Status follows the decider's evolve: PENDING -> PAID | FAILED, PAID -> REFUNDED.
 */
export class PaymentsProjection implements PaymentsReadModel {
  private readonly byId = new Map<string, PaymentRecord>();
  private readonly byCreated: PaymentRecord[] = [];
  private readonly byUser = new Map<number, PaymentRecord[]>();
  private readonly pendingExtraRefunds = new Set<string>();
  /**
   * Each user's PENDING payments, the only ones that can expire: a create checks its cap against this without
   * walking the user's history, and the expiry sweeper looks only at these.
   */
  private readonly pendingByUser = new Map<number, Set<PaymentRecord>>();
  private readonly byRefundIdempotencyKey = new Map<string, string>();

  /** `seq` is the global position of the event, a safe integer. */
  apply(event: LedgerEvent, seq: number): void {
    switch (event.type) {
      case "PaymentCreated":
        this.created(event, seq);
        return;
      case "InvoiceIssued": {
        const record = this.existing(event.data.paymentId, event.type);
        record.invoiceLink = event.data.invoiceLink;
        record.invoiceIssuedAt = event.data.issuedAt;
        return;
      }
      case "PreCheckoutApproved":
        this.existing(event.data.paymentId, event.type).preCheckoutApprovedAt = event.data.approvedAt;
        return;
      case "PaymentPaid": {
        const record = this.existing(event.data.paymentId, event.type);
        this.settled(record);
        record.status = "PAID";
        record.paidAt = event.data.paidAt;
        record.paidAtMs = isoMillis(event.data.paidAt);
        record.paidSeq = seq;
        record.paidStarsAmount = event.data.totalAmount;
        record.paidCredits = event.data.credits;
        record.telegramPaymentChargeId = event.data.telegramPaymentChargeId;
        record.providerPaymentChargeId = event.data.providerPaymentChargeId;
        record.payerTelegramUserId = event.data.payerTelegramUserId ?? null;
        return;
      }
      case "PaymentFailed": {
        const record = this.existing(event.data.paymentId, event.type);
        this.settled(record);
        record.status = "FAILED";
        record.failedAt = event.data.failedAt;
        record.failedAtMs = isoMillis(event.data.failedAt);
        record.failureReason = event.data.reason;
        record.failureMessage = event.data.message;
        return;
      }
      case "PaymentRefunded": {
        const record = this.existing(event.data.paymentId, event.type);
        if (record.telegramPaymentChargeId === null) {
          throw new InconsistentHistoryError(`PaymentRefunded for payment ${record.paymentId}, which was never paid`);
        }
        record.status = "REFUNDED";
        record.refundedAt = event.data.refundedAt;
        record.refundedAtMs = isoMillis(event.data.refundedAt);
        record.refundedBy = event.data.refundedBy;
        record.refundedStarsAmount = event.data.starsAmount;
        record.refundedCredits = event.data.credits;
        record.refundedByAdmin = event.data.admin ?? null;
        record.refundIdempotencyKey = event.data.idempotencyKey ?? null;
        if (event.data.idempotencyKey !== undefined)
          this.byRefundIdempotencyKey.set(event.data.idempotencyKey, record.paymentId);
        return;
      }
      case "ExtraChargeReceived":
        this.extraChargeReceived(event, seq);
        return;
      case "ExtraChargeRefunded":
        this.extraChargeRefunded(event);
        return;
      case "ChargeConflictRecorded":
        this.chargeConflictRecorded(event);
        return;
      default:
        return;
    }
  }

  get(paymentId: string): PaymentView | undefined {
    const record = this.byId.get(paymentId);
    return record === undefined ? undefined : toView(record);
  }

  count(): number {
    return this.byId.size;
  }

  pendingCountForUser(userId: number, now: Date): number {
    const nowMs = now.getTime();
    let count = 0;
    for (const record of this.pendingByUser.get(userId) ?? []) if (record.expiresAtMs > nowMs) count++;
    return count;
  }

  historyForUser(userId: number, page: PageRequest = {}): PaymentPageResult {
    return this.page(this.byUser.get(userId) ?? [], { ...page, userId });
  }

  list(query: PaymentListQuery = {}): PaymentPageResult {
    return this.page(query.userId === undefined ? this.byCreated : (this.byUser.get(query.userId) ?? []), query);
  }

  withExtraChargesPendingRefund(limit: number = pageSizeMax): readonly PaymentView[] {
    const views: PaymentView[] = [];
    const size = resolvePageSize(limit) ?? pageSizeMax;
    for (const paymentId of this.pendingExtraRefunds) {
      if (views.length >= size) break;
      const record = this.byId.get(paymentId);
      if (record !== undefined) views.push(toView(record));
    }
    return views;
  }

  expiredPending(now: Date, limit: number): readonly string[] {
    const nowMs = now.getTime();
    const due: PaymentRecord[] = [];
    for (const pending of this.pendingByUser.values()) {
      for (const record of pending) if (record.expiresAtMs <= nowMs) due.push(record);
    }
    due.sort((a, b) => a.expiresAtMs - b.expiresAtMs || a.seq - b.seq);
    return due.slice(0, Math.max(0, limit)).map((record) => record.paymentId);
  }

  refundedWithIdempotencyKey(idempotencyKey: string): PaymentView | undefined {
    const paymentId = this.byRefundIdempotencyKey.get(idempotencyKey);
    return paymentId === undefined ? undefined : this.get(paymentId);
  }

  /** Every row, oldest first; internal, for stats and comparisons. */
  records(): readonly PaymentRecord[] {
    return this.byCreated;
  }

  private page(rows: readonly PaymentRecord[], query: PaymentListQuery): PaymentPageResult {
    const size = resolvePageSize(query.limit);
    if (size === undefined) return invalidPage(`limit must be a positive whole number, got ${query.limit}`);
    let end = rows.length;
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (after === undefined) return invalidPage("cursor is not one this server issued");
      end = lowerBound(rows, after);
    }
    const fromMs = query.from?.getTime();
    const toMs = query.to?.getTime();
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return invalidPage("from and to must be valid dates");
    if (toMs !== undefined) end = Math.min(end, lowerBound(rows, { createdAtMs: toMs, seq: Number.MIN_SAFE_INTEGER }));
    const start = fromMs === undefined ? 0 : lowerBound(rows, { createdAtMs: fromMs, seq: Number.MIN_SAFE_INTEGER });
    const found: PaymentRecord[] = [];
    for (let index = end - 1; index >= start && found.length <= size; index--) {
      const row = rows[index];
      if (row === undefined) continue;
      if (query.status !== undefined && row.status !== query.status) continue;
      if (query.userId !== undefined && row.userId !== query.userId) continue;
      found.push(row);
    }
    const more = found.length > size;
    const shown = more ? found.slice(0, size) : found;
    const last = shown[shown.length - 1];
    return {
      ok: true,
      page: {
        payments: shown.map(toView),
        nextCursor: more && last !== undefined ? encodeCursor({ createdAtMs: last.createdAtMs, seq: last.seq }) : null,
      },
    };
  }

  private created(event: EventOf<"PaymentCreated">, seq: number): void {
    const data = event.data;
    if (this.byId.has(data.paymentId))
      throw new InconsistentHistoryError(`PaymentCreated again for payment ${data.paymentId}`);
    const record: PaymentRecord = {
      paymentId: data.paymentId,
      userId: data.userId,
      status: "PENDING",
      packageId: data.packageId,
      starsAmount: data.starsAmount,
      credits: data.credits,
      createdAt: data.createdAt,
      createdAtMs: isoMillis(data.createdAt),
      seq,
      expiresAt: data.expiresAt,
      expiresAtMs: isoMillis(data.expiresAt),
      invoiceLink: null,
      invoiceIssuedAt: null,
      preCheckoutApprovedAt: null,
      paidAt: null,
      paidAtMs: noTime,
      paidSeq: Number.NaN,
      paidStarsAmount: 0,
      paidCredits: 0,
      refundedStarsAmount: 0,
      refundedCredits: 0,
      telegramPaymentChargeId: null,
      providerPaymentChargeId: null,
      payerTelegramUserId: null,
      failedAt: null,
      failedAtMs: noTime,
      failureReason: null,
      failureMessage: null,
      refundedAt: null,
      refundedAtMs: noTime,
      refundedBy: null,
      refundedByAdmin: null,
      refundIdempotencyKey: null,
      extraCharges: [],
      conflictingCharges: [],
    };
    this.byId.set(data.paymentId, record);
    insertSorted(this.byCreated, record);
    const mine = this.byUser.get(data.userId);
    if (mine === undefined) this.byUser.set(data.userId, [record]);
    else insertSorted(mine, record);
    const pending = this.pendingByUser.get(data.userId);
    if (pending === undefined) this.pendingByUser.set(data.userId, new Set([record]));
    else pending.add(record);
  }

  /** The payment leaves PENDING (paid or failed, expiry included). */
  private settled(record: PaymentRecord): void {
    const pending = this.pendingByUser.get(record.userId);
    pending?.delete(record);
    if (pending?.size === 0) this.pendingByUser.delete(record.userId);
  }

  private extraChargeReceived(event: EventOf<"ExtraChargeReceived">, seq: number): void {
    const data = event.data;
    const record = this.existing(data.paymentId, event.type);
    if (record.extraCharges.some((charge) => charge.telegramPaymentChargeId === data.telegramPaymentChargeId)) {
      throw new InconsistentHistoryError(`ExtraChargeReceived again for charge ${data.telegramPaymentChargeId}`);
    }
    record.extraCharges.push({
      telegramPaymentChargeId: data.telegramPaymentChargeId,
      reason: data.reason,
      telegramUserId: data.telegramUserId,
      currency: data.currency,
      starsAmount: data.totalAmount,
      receivedAt: data.receivedAt,
      receivedAtMs: isoMillis(data.receivedAt),
      refunded: false,
      refundedAt: null,
      refundedAtMs: noTime,
      seq,
    });
    this.pendingExtraRefunds.add(record.paymentId);
  }

  private extraChargeRefunded(event: EventOf<"ExtraChargeRefunded">): void {
    const data = event.data;
    const record = this.existing(data.paymentId, event.type);
    const charge = record.extraCharges.find((c) => c.telegramPaymentChargeId === data.telegramPaymentChargeId);
    if (charge === undefined) {
      throw new InconsistentHistoryError(
        `ExtraChargeRefunded for charge ${data.telegramPaymentChargeId}, never received`,
      );
    }
    charge.refunded = true;
    charge.refundedAt = data.refundedAt;
    charge.refundedAtMs = isoMillis(data.refundedAt);
    if (record.extraCharges.every((c) => c.refunded)) this.pendingExtraRefunds.delete(record.paymentId);
  }

  /** Shown on the payment only: the charge is credited (or refunded) where it was recorded first. */
  private chargeConflictRecorded(event: EventOf<"ChargeConflictRecorded">): void {
    const data = event.data;
    const record = this.existing(data.paymentId, event.type);
    if (record.conflictingCharges.some((charge) => charge.telegramPaymentChargeId === data.telegramPaymentChargeId)) {
      throw new InconsistentHistoryError(`ChargeConflictRecorded again for charge ${data.telegramPaymentChargeId}`);
    }
    record.conflictingCharges.push({
      telegramPaymentChargeId: data.telegramPaymentChargeId,
      telegramUserId: data.telegramUserId ?? null,
      currency: data.currency,
      starsAmount: data.totalAmount,
      receivedAt: data.receivedAt,
    });
  }

  private existing(paymentId: string, type: string): PaymentRecord {
    const record = this.byId.get(paymentId);
    if (record === undefined)
      throw new InconsistentHistoryError(`${type} for payment ${paymentId}, which was never created`);
    return record;
  }
}
