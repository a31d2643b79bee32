import { err, ok } from "neverthrow";
import { successfulPaymentCall } from "./update-translation.js";
import { chargeUpdateFields, notRecorded, type UpdateHandler, type UpdateHandlerDeps } from "./webhook-answer.js";

/** message.successful_payment: credit the payment once, whatever the charge turns out to be; log what it was. */
export const successfulPaymentHandler =
  ({ ledger, logger, now }: UpdateHandlerDeps<"recordSuccessfulPayment">): UpdateHandler<"successful_payment"> =>
  async (update) => {
    const call = successfulPaymentCall(update, now());
    const payment = update.successfulPayment;
    const fields = chargeUpdateFields(update, payment);
    const recorded = await ledger.recordSuccessfulPayment(call.input, call.context);
    if (recorded.isErr()) return err(notRecorded("successful_payment", recorded.error, fields, logger));
    const outcome = recorded.value;
    switch (outcome.kind) {
      case "paid":
        logger.info(
          {
            ...fields,
            userId: outcome.payment.userId,
            credits: outcome.payment.credits,
            starsAmount: payment.totalAmount,
          },
          "Payment processed successfully",
        );
        break;
      case "duplicate":
        logger.info({ ...fields, userId: outcome.payment.userId }, "Duplicate successful_payment ignored");
        break;
      case "uncredited": {
        const mismatch = outcome.reason === "amount_mismatch" || outcome.reason === "currency_mismatch";
        const detail = {
          ...fields,
          userId: update.from?.id ?? outcome.payment.userId,
          reason: outcome.reason,
          starsAmount: payment.totalAmount,
          currency: payment.currency,
        };
        if (mismatch) logger.warn(detail, "Payment marked as failed");
        else logger.warn(detail, "Extra charge on a paid invoice; it will be refunded");
        break;
      }
      case "unmatched":
        logger.warn(
          { ...fields, paymentId: undefined, invoicePayload: payment.invoicePayload, starsAmount: payment.totalAmount },
          "Unmatched charge received; it will be refunded",
        );
        break;
      case "conflict":
        // The charge id is another payment's (or an unmatched charge's): crediting or refunding it here would be
        // a second use of one Telegram charge. Answered 200: a redelivery would decide the same.
        logger.error(
          { ...fields, ownerUserId: outcome.payment?.userId, starsAmount: payment.totalAmount },
          "Charge already recorded on another payment; not credited",
        );
        break;
    }
    return ok({ kind: "ack" });
  };
