import { isChargeAlreadyRefunded } from "@starledger/telegram-adapter";
import type { FastifyBaseLogger } from "fastify";
import { err, ok, type Result } from "neverthrow";
import type { AppContext } from "./app-context.js";
import { telegramRefundFailed, type AppError } from "./http-errors.js";

export type AdminRefundRequest = {
  readonly paymentId: string;
  readonly admin: string;
  readonly idempotencyKey: string | undefined;
  readonly log: FastifyBaseLogger;
};

const usedForAnotherPayment = {
  type: "IdempotencyConflict",
  message: "This Idempotency-Key was already used to refund another payment",
} as const;

/**
 * The payment an admin already refunded with this key, as the read models know it once they have caught up
 * with the store: a key used for another payment is refused before Telegram is asked to refund anything.
 */
const paymentRefundedWithKey = async (ctx: AppContext, idempotencyKey: string): Promise<string | undefined> => {
  const head = await ctx.store.headPosition();
  if (head.isOk()) await ctx.settle(head.value);
  return ctx.projections.payments.refundedWithIdempotencyKey(idempotencyKey)?.paymentId;
};

/**
 * The admin refund: refundStarPayment to the payer, then PaymentRefunded. With an Idempotency-Key, the refund
 * already made under it is answered as the first time (Telegram is not asked again), and a key used for another
 * payment is an IdempotencyConflict. Ok is the position to wait for before answering with the payment.
 */
export const refundThroughTelegram = async (
  ctx: AppContext,
  request: AdminRefundRequest,
): Promise<Result<bigint | undefined, AppError>> => {
  const { paymentId, admin, idempotencyKey, log } = request;
  const keyed = idempotencyKey === undefined ? {} : { idempotencyKey };
  const check = await ctx.ledger.checkRefundable(paymentId, ctx.clock(), keyed);
  if (check.isErr()) return err(check.error);
  if (check.value.kind === "alreadyRefunded") return ok(check.value.position);
  if (idempotencyKey !== undefined) {
    const holder = await paymentRefundedWithKey(ctx, idempotencyKey);
    if (holder !== undefined && holder !== paymentId) return err(usedForAnotherPayment);
  }
  const payment = check.value.payment;
  const chargeId = payment.paidChargeId;
  if (chargeId === undefined) throw new Error("assertion: a refundable payment without a charge id");
  const payer = payment.payerUserId ?? payment.userId;
  const telegram = await ctx.botApi.refundStarPayment({ userId: payer, telegramPaymentChargeId: chargeId });
  if (telegram.isErr() && !isChargeAlreadyRefunded(telegram.error)) {
    log.error({ paymentId, chargeId, telegram: telegram.error.message }, "Refund refused by Telegram");
    return err(telegramRefundFailed(telegram.error));
  }
  const fields = { paymentId, userId: payment.userId, chargeId, admin };
  const recorded = await ctx.ledger.refundPayment(paymentId, admin, ctx.clock(), keyed);
  if (recorded.isErr() && recorded.error.type === "IdempotencyConflict") {
    // Another request took the key meanwhile, but Telegram has refunded this payment: the ledger records what happened.
    const unkeyed = await ctx.ledger.refundPayment(paymentId, admin, ctx.clock());
    if (unkeyed.isErr() && unkeyed.error.type !== "PaymentAlreadyRefunded") return err(unkeyed.error);
    log.error(
      { ...fields, idempotencyKey },
      "Payment refunded; its Idempotency-Key was used meanwhile for another payment",
    );
    return err({
      type: "IdempotencyConflict",
      message: `${usedForAnotherPayment.message} meanwhile; this payment was refunded too and is recorded without the key`,
    });
  }
  if (recorded.isErr() && recorded.error.type !== "PaymentAlreadyRefunded") return err(recorded.error);
  log.info(fields, "Payment refunded");
  return ok(recorded.isOk() ? recorded.value.position : undefined);
};
