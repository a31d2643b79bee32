import { err, ok } from "neverthrow";
import { refundedPaymentCall } from "./update-translation.js";
import { chargeUpdateFields, notRecorded, type UpdateHandler, type UpdateHandlerDeps } from "./webhook-answer.js";

/** message.refunded_payment: record the refund Telegram made, once. */
export const refundedPaymentHandler =
  ({ ledger, logger, now }: UpdateHandlerDeps<"recordRefundedPayment">): UpdateHandler<"refunded_payment"> =>
  async (update) => {
    const call = refundedPaymentCall(update, now());
    const refund = update.refundedPayment;
    const fields = chargeUpdateFields(update, refund);
    const recorded = await ledger.recordRefundedPayment(call.input, call.context);
    if (recorded.isOk()) {
      if (recorded.value.position === undefined) logger.info(fields, "Duplicate refunded_payment ignored");
      else logger.info({ ...fields, starsAmount: refund.totalAmount }, "Payment refunded by Telegram");
      return ok({ kind: "ack" });
    }
    if (recorded.error.type === "UnknownCharge") {
      // Every refund this system makes is of a recorded charge, so this is an anomaly; a 503 would only stall
      // Telegram's queue of updates behind it. Reconciliation against getStarTransactions finds it.
      logger.error(fields, "Refund of an unknown charge; left for reconciliation");
      return ok({ kind: "ack" });
    }
    return err(notRecorded("refunded_payment", recorded.error, fields, logger));
  };
