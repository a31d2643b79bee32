import assert from "node:assert/strict";
import type { StarsLedger } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import type { BotApi } from "./bot-api.js";
import type { Logger } from "./logger.js";
import { refundStars } from "./star-refund.js";
import { telegramRefundFailed, type PaymentUseCaseError } from "./use-case-errors.js";

export type AdminRefundDeps = {
  readonly ledger: Pick<StarsLedger, "requestRefund" | "refundPayment">;
  readonly botApi: Pick<BotApi, "refundStarPayment">;
  readonly now: () => Date;
};

export type AdminRefundRequest = {
  readonly paymentId: string;
  /** Who asks (the token's subject). */
  readonly admin: string;
  readonly idempotencyKey: string | undefined;
  /** The request's logger: the runbook's lines carry its fields. */
  readonly log: Logger;
};

export type AdminRefund = {
  /**
   * RefundRequested (claiming the Idempotency-Key), then refundStarPayment to the payer, then PaymentRefunded.
   * Ok is the position to wait for before answering with the payment. The same refund asked again under its key
   * is answered as the first time and Telegram is not asked again; a key already used for another payment is an
   * IdempotencyConflict before Telegram is asked. A request left without its refund (Telegram did not answer, the
   * store failed after Telegram refunded, a crash) is completed by the refund reactor.
   */
  refund(request: AdminRefundRequest): Promise<Result<bigint | undefined, PaymentUseCaseError>>;
};

export const createAdminRefund = (deps: AdminRefundDeps): AdminRefund => {
  const { ledger, botApi, now } = deps;
  return {
    async refund({ paymentId, admin, idempotencyKey, log }) {
      const keyed = idempotencyKey === undefined ? {} : { idempotencyKey };
      const requested = await ledger.requestRefund(paymentId, admin, now(), keyed);
      if (requested.isErr()) return err(requested.error);
      if (requested.value.kind === "alreadyRefunded") return ok(requested.value.position);
      const payment = requested.value.payment;
      const chargeId = payment.paidChargeId;
      assert.ok(chargeId !== undefined, "a refundable payment without a charge id");
      const payer = payment.payerUserId ?? payment.userId;
      const telegram = await refundStars(botApi, { userId: payer, telegramPaymentChargeId: chargeId });
      if (telegram.isErr()) {
        log.error({ paymentId, chargeId, telegram: telegram.error.message }, "Refund refused by Telegram");
        return err(telegramRefundFailed(telegram.error));
      }
      const recorded = await ledger.refundPayment(paymentId, admin, now(), keyed);
      // Recorded meanwhile (Telegram's refunded_payment update, the reactor): the refund is done all the same.
      if (recorded.isErr() && recorded.error.type !== "PaymentAlreadyRefunded") return err(recorded.error);
      log.info({ paymentId, userId: payment.userId, chargeId, admin }, "Payment refunded");
      return ok(recorded.isOk() ? recorded.value.position : undefined);
    },
  };
};
