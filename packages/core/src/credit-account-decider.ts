import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { Decider } from "./decider.js";
import { TelegramUserId, Timestamp, type CreditAccountEvent } from "./events.js";

export const AdjustCredits = z.object({
  type: z.literal("AdjustCredits"),
  data: z.object({
    userId: TelegramUserId,
    delta: z.number().int(),
    reason: z.string(),
    admin: z.string().min(1),
    now: Timestamp,
  }),
});
export const CreditAccountCommand = z.discriminatedUnion("type", [AdjustCredits]);
export type CreditAccountCommand = z.infer<typeof CreditAccountCommand>;

export type CreditAccountError = { readonly type: "InvalidAdjustment"; readonly message: string };

/** The stream holds only manual adjustments; purchases live on payment streams. */
export type CreditAccount = { readonly adjustmentsTotal: number; readonly adjustmentCount: number };

export const creditAccountDecider: Decider<
  CreditAccountCommand,
  CreditAccountEvent,
  CreditAccount,
  CreditAccountError
> = {
  initialState: { adjustmentsTotal: 0, adjustmentCount: 0 },
  evolve: (state, event) => ({
    adjustmentsTotal: state.adjustmentsTotal + event.data.delta,
    adjustmentCount: state.adjustmentCount + 1,
  }),
  decide: (command): Result<CreditAccountEvent[], CreditAccountError> => {
    const { userId, delta, reason, admin, now } = command.data;
    if (delta === 0) return err({ type: "InvalidAdjustment", message: "delta must not be zero" });
    if (!Number.isSafeInteger(delta))
      return err({ type: "InvalidAdjustment", message: "delta must be a whole number of credits" });
    if (reason.trim() === "") return err({ type: "InvalidAdjustment", message: "reason is required" });
    return ok([{ type: "CreditsAdjusted", data: { userId, delta, reason: reason.trim(), admin, adjustedAt: now } }]);
  },
  eventTypes: new Set(["CreditsAdjusted"]),
};
