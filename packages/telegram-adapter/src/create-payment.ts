import { randomUUID } from "node:crypto";
import { deterministicEventId, type ExistingPayment, type StarsLedger } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { starsInvoice, type BotApi } from "./bot-api.js";
import type { Logger } from "./logger.js";
import {
  invoiceCreationFailed,
  invoiceFailedMessage,
  type PaymentUseCaseError,
  type TooManyPendingPayments,
} from "./use-case-errors.js";

/**
 * Unpaid (PENDING, not yet expired) payments one user may hold; a create beyond it is refused until the user pays
 * one or one expires. Checked against the read models, so creates racing on several instances may pass it by the
 * few in flight.
 */
export const pendingPaymentsPerUserMax = 20;

/** What the create use case reads (the payments read model fits). */
export type PaymentsSeen = {
  /** The payment, when the read models know it. */
  get(paymentId: string): object | undefined;
  /** The user's PENDING payments not expired at `now`. */
  pendingCountForUser(userId: number, now: Date): number;
};

export type PaymentCreationDeps = {
  readonly ledger: Pick<
    StarsLedger,
    "resolvePackage" | "createPayment" | "recordInvoiceIssued" | "recordInvoiceCreationFailed" | "getPayment"
  >;
  readonly botApi: Pick<BotApi, "createInvoiceLink">;
  readonly payments: PaymentsSeen;
  readonly now: () => Date;
};

export type CreatePaymentRequest = {
  readonly userId: number;
  readonly packageId?: string | undefined;
  readonly starsAmount?: number | undefined;
  /** The same key from the same user is the same payment, on every instance. */
  readonly idempotencyKey?: string | undefined;
  /** The request's logger: the runbook's lines carry its fields. */
  readonly log: Logger;
};

/** The payment as it is now (a replayed key may find it PAID, FAILED or REFUNDED), its link, the position to wait for. */
export type CreatedPayment = {
  readonly payment: ExistingPayment;
  readonly invoiceLink: string;
  readonly position: bigint | undefined;
};

export type PaymentCreation = {
  /** A create refused before the ledger sees it (unknown package, the pending cap): reads no store, writes nothing. */
  refusedBeforeLedger(request: CreatePaymentRequest): PaymentUseCaseError | undefined;
  /** The payment, then its invoice link from createInvoiceLink: InvoiceIssued, or the payment FAILED. */
  createWithInvoice(request: CreatePaymentRequest): Promise<Result<CreatedPayment, PaymentUseCaseError>>;
};

/** A retried create with the same Idempotency-Key lands on the same payment id, on every instance. */
export const paymentIdFor = (userId: number, idempotencyKey: string | undefined): string =>
  idempotencyKey === undefined ? randomUUID() : deterministicEventId("idempotency", `${userId}:${idempotencyKey}`, 0);

const packageRequest = (request: CreatePaymentRequest): { packageId?: string; starsAmount?: number } => ({
  ...(request.packageId === undefined ? {} : { packageId: request.packageId }),
  ...(request.starsAmount === undefined ? {} : { starsAmount: request.starsAmount }),
});

const invoiceText = (payment: ExistingPayment) => ({
  title: `${payment.credits} credits`,
  description: `${payment.credits} credits for ${payment.starsAmount} Telegram Stars (${payment.packageId})`,
});

const tooManyPending: TooManyPendingPayments = {
  type: "TooManyPendingPayments",
  message: `You already have ${pendingPaymentsPerUserMax} unpaid payments, the most allowed: pay one of them or wait until one expires, then create another`,
};

/** Create a payment and its Stars invoice link (the runbook's "Invoice Creation"). */
export const createPaymentCreation = (deps: PaymentCreationDeps): PaymentCreation => {
  const { ledger, botApi, payments, now } = deps;

  const refusedBeforeLedger = (request: CreatePaymentRequest): PaymentUseCaseError | undefined => {
    const creditPackage = ledger.resolvePackage(packageRequest(request));
    if (creditPackage.isErr()) return creditPackage.error;
    const { userId, idempotencyKey } = request;
    // A replayed Idempotency-Key answers its payment whatever the user holds now.
    if (idempotencyKey !== undefined && payments.get(paymentIdFor(userId, idempotencyKey)) !== undefined) return;
    if (payments.pendingCountForUser(userId, now()) < pendingPaymentsPerUserMax) return;
    return tooManyPending;
  };

  /** Ask Telegram for the link, and record what it answered. */
  const issueInvoice = async (
    payment: ExistingPayment,
    log: Logger,
  ): Promise<Result<CreatedPayment, PaymentUseCaseError>> => {
    const { paymentId, userId } = payment;
    const link = await botApi.createInvoiceLink(
      starsInvoice({ ...invoiceText(payment), payload: paymentId, starsAmount: payment.starsAmount }),
    );
    if (link.isErr()) {
      const failed = await ledger.recordInvoiceCreationFailed(paymentId, link.error.message, now());
      log.error(
        { paymentId, userId, reason: "invoice_creation_failed", telegram: link.error.message },
        "Payment marked as failed",
      );
      if (failed.isErr()) return err(failed.error);
      return err(invoiceCreationFailed(link.error, failed.value.position));
    }
    const issued = await ledger.recordInvoiceIssued(paymentId, link.value, now());
    if (issued.isOk())
      return ok({ payment: issued.value.payment, invoiceLink: link.value, position: issued.value.position });
    // A concurrent identical request recorded its link first: answer with that one.
    const current = await ledger.getPayment(paymentId);
    if (current.isOk() && current.value.invoiceLink !== undefined)
      return ok({ payment: current.value, invoiceLink: current.value.invoiceLink, position: undefined });
    return err(issued.error);
  };

  const createWithInvoice = async (
    request: CreatePaymentRequest,
  ): Promise<Result<CreatedPayment, PaymentUseCaseError>> => {
    const refusal = refusedBeforeLedger(request);
    if (refusal !== undefined) return err(refusal);
    const { userId, log } = request;
    const paymentId = paymentIdFor(userId, request.idempotencyKey);
    const result = await ledger.createPayment({ paymentId, userId, ...packageRequest(request), now: now() });
    if (result.isErr()) {
      if (result.error.type !== "PaymentAlreadyExists") return err(result.error);
      return err({
        type: "IdempotencyConflict",
        message: "This Idempotency-Key was already used with a different request body",
      });
    }
    const { payment, position } = result.value;
    if (result.value.created) {
      log.info(
        { paymentId, userId, starsAmount: payment.starsAmount, credits: payment.credits },
        "Payment record created",
      );
    }
    if (payment.invoiceLink !== undefined) return ok({ payment, invoiceLink: payment.invoiceLink, position });
    if (payment.status === "FAILED") {
      return err({
        type: "InvoiceCreationFailed",
        message: invoiceFailedMessage,
        details: { failureReason: payment.failureReason },
      });
    }
    return issueInvoice(payment, log);
  };

  return { refusedBeforeLedger, createWithInvoice };
};
