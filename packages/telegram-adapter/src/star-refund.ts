import { err, ok, type Result } from "neverthrow";
import { isChargeAlreadyRefunded, type BotApiError } from "./bot-api-errors.js";
import type { BotApi, RefundStarPaymentParams } from "./bot-api.js";

/** A refund Telegram has made: now, or before (it answered CHARGE_ALREADY_REFUNDED). Either way the Stars are back. */
export type StarRefund = "refunded" | "alreadyRefunded";

/**
 * refundStarPayment under the one rule every refund here follows: CHARGE_ALREADY_REFUNDED, Telegram's answer to a
 * second refund of a charge, counts as done. So a refund cut off between Telegram's ok and its event (a crash, a
 * store outage) is asked again and recorded, never made twice.
 */
export const refundStars = async (
  botApi: Pick<BotApi, "refundStarPayment">,
  params: RefundStarPaymentParams,
): Promise<Result<StarRefund, BotApiError>> => {
  const answered = await botApi.refundStarPayment(params);
  if (answered.isOk()) return ok("refunded");
  return isChargeAlreadyRefunded(answered.error) ? ok("alreadyRefunded") : err(answered.error);
};
