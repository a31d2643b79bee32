import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { Decider } from "./decider.js";
import { IdempotencyKey, TelegramUserId, Timestamp, eventTypesOf, CreditAccountEvent } from "./events.js";
import { adjustmentKey } from "./natural-keys.js";

export const AdjustCredits = z.object({
  type: z.literal("AdjustCredits"),
  data: z.object({
    userId: TelegramUserId,
    delta: z.number().int(),
    reason: z.string(),
    admin: z.string().min(1),
    idempotencyKey: IdempotencyKey.optional(),
    now: Timestamp,
  }),
});
export const CreditAccountCommand = z.discriminatedUnion("type", [AdjustCredits]);
export type CreditAccountCommand = z.infer<typeof CreditAccountCommand>;

export type CreditAccountError = { readonly type: "InvalidAdjustment"; readonly message: string };

/**
 * The stream holds only manual adjustments; purchases live on payment streams. An adjustment's Idempotency-Key is
 * claimed through its event id (naturalKeyOf), so the state does not keep the keys.
 */
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
    const { userId, delta, reason, admin, idempotencyKey, now } = command.data;
    if (delta === 0) return err({ type: "InvalidAdjustment", message: "delta must not be zero" });
    if (!Number.isSafeInteger(delta))
      return err({ type: "InvalidAdjustment", message: "delta must be a whole number of credits" });
    if (reason.trim() === "") return err({ type: "InvalidAdjustment", message: "reason is required" });
    const key = idempotencyKey === undefined ? {} : { idempotencyKey };
    return ok([
      { type: "CreditsAdjusted", data: { userId, delta, reason: reason.trim(), admin, ...key, adjustedAt: now } },
    ]);
  },
  eventTypes: eventTypesOf(CreditAccountEvent),
  naturalKeyOf: (event) =>
    event.data.idempotencyKey === undefined ? undefined : adjustmentKey(event.data.idempotencyKey),
};
