import { parseLedgerEvent, type EventStore, type PaymentStatus } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import type { AuditStoreError } from "./anchor.js";

export type LedgerChargeKind = "payment" | "extra" | "unmatched";

/** A charge the ledger recorded: a credited payment, an extra charge on a payment, or an unmatched one. */
export type LedgerCharge = {
  readonly kind: LedgerChargeKind;
  readonly telegramPaymentChargeId: string;
  readonly paymentId: string | undefined;
  readonly invoicePayload: string | undefined;
  readonly starsAmount: number;
  /** Credits given for it (a payment's); 0 for extra and unmatched charges. */
  readonly credits: number;
  /** The payment's owner, whose balance holds the credits. */
  readonly ownerUserId: number | undefined;
  /** Who paid, when known: refunds go to the payer. */
  readonly payerUserId: number | undefined;
  readonly reason: string | undefined;
  refunded: boolean;
};

export type LedgerPayment = {
  readonly paymentId: string;
  readonly userId: number;
  readonly starsAmount: number;
  readonly credits: number;
  status: PaymentStatus;
};

export type UnreadableEvent = { readonly position: string; readonly stream: string; readonly message: string };

/** What reconciliation needs from the ledger, read in one pass over readAll. */
export type LedgerView = {
  readonly events: number;
  readonly payments: ReadonlyMap<string, LedgerPayment>;
  readonly charges: ReadonlyMap<string, LedgerCharge>;
  readonly unreadable: readonly UnreadableEvent[];
};

/** Reports list this many unreadable events at most. */
export const unreadableEventsMax = 100;

export const readLedgerView = async (store: EventStore): Promise<Result<LedgerView, AuditStoreError>> => {
  const payments = new Map<string, LedgerPayment>();
  const charges = new Map<string, LedgerCharge>();
  const unreadable: UnreadableEvent[] = [];
  let events = 0;
  const refund = (chargeId: string, fallback: () => LedgerCharge): void => {
    const charge = charges.get(chargeId) ?? fallback();
    charge.refunded = true;
    charges.set(chargeId, charge);
  };
  try {
    for await (const recorded of store.readAll()) {
      events++;
      const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
      if (!parsed.ok) {
        if (unreadable.length < unreadableEventsMax) {
          unreadable.push({
            position: recorded.position.toString(),
            stream: recorded.stream,
            message: parsed.error.message,
          });
        }
        continue;
      }
      const event = parsed.event;
      switch (event.type) {
        case "PaymentCreated":
          payments.set(event.data.paymentId, {
            paymentId: event.data.paymentId,
            userId: event.data.userId,
            starsAmount: event.data.starsAmount,
            credits: event.data.credits,
            status: "PENDING",
          });
          break;
        case "PaymentPaid": {
          const payment = payments.get(event.data.paymentId);
          if (payment !== undefined) payment.status = "PAID";
          charges.set(event.data.telegramPaymentChargeId, {
            kind: "payment",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: event.data.paymentId,
            invoicePayload: event.data.paymentId,
            starsAmount: event.data.totalAmount,
            credits: event.data.credits,
            ownerUserId: event.data.userId,
            payerUserId: event.data.payerTelegramUserId,
            reason: undefined,
            refunded: false,
          });
          break;
        }
        case "PaymentFailed": {
          const payment = payments.get(event.data.paymentId);
          if (payment !== undefined) payment.status = "FAILED";
          break;
        }
        case "PaymentRefunded": {
          const payment = payments.get(event.data.paymentId);
          if (payment !== undefined) payment.status = "REFUNDED";
          refund(event.data.telegramPaymentChargeId, () => ({
            kind: "payment",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: event.data.paymentId,
            invoicePayload: event.data.paymentId,
            starsAmount: event.data.starsAmount,
            credits: event.data.credits,
            ownerUserId: event.data.userId,
            payerUserId: undefined,
            reason: undefined,
            refunded: true,
          }));
          break;
        }
        case "ExtraChargeReceived":
          charges.set(event.data.telegramPaymentChargeId, {
            kind: "extra",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: event.data.paymentId,
            invoicePayload: event.data.paymentId,
            starsAmount: event.data.totalAmount,
            credits: 0,
            ownerUserId: payments.get(event.data.paymentId)?.userId,
            payerUserId: event.data.telegramUserId,
            reason: event.data.reason,
            refunded: false,
          });
          break;
        case "ExtraChargeRefunded":
          refund(event.data.telegramPaymentChargeId, () => ({
            kind: "extra",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: event.data.paymentId,
            invoicePayload: event.data.paymentId,
            starsAmount: event.data.totalAmount,
            credits: 0,
            ownerUserId: undefined,
            payerUserId: undefined,
            reason: undefined,
            refunded: true,
          }));
          break;
        case "UnmatchedChargeReceived":
          charges.set(event.data.telegramPaymentChargeId, {
            kind: "unmatched",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: undefined,
            invoicePayload: event.data.invoicePayload,
            starsAmount: event.data.totalAmount,
            credits: 0,
            ownerUserId: undefined,
            payerUserId: event.data.telegramUserId,
            reason: undefined,
            refunded: false,
          });
          break;
        case "UnmatchedChargeRefunded":
          refund(event.data.telegramPaymentChargeId, () => ({
            kind: "unmatched",
            telegramPaymentChargeId: event.data.telegramPaymentChargeId,
            paymentId: undefined,
            invoicePayload: undefined,
            starsAmount: event.data.totalAmount,
            credits: 0,
            ownerUserId: undefined,
            payerUserId: undefined,
            reason: undefined,
            refunded: true,
          }));
          break;
        // A conflict adds no charge: the charge belongs to the stream that recorded it first.
        case "ChargeConflictRecorded":
        case "RefundRequested":
        case "InvoiceIssued":
        case "PreCheckoutApproved":
        case "CreditsAdjusted":
          break;
      }
    }
  } catch (error) {
    if (error instanceof Error && error.name === "StoreUnavailableError")
      return err({ type: "StoreUnavailable", message: error.message });
    throw error;
  }
  return ok({ events, payments, charges, unreadable });
};
