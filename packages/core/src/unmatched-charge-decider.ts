import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { Decider } from "./decider.js";
import { ChargeId, Timestamp, UnmatchedChargeReceived, eventTypesOf, UnmatchedChargeEvent } from "./events.js";
import { chargeKey } from "./natural-keys.js";

/** The charge as the update carried it: the event's data, with the time it came in on the command. */
export const RecordUnmatchedCharge = z.object({
  type: z.literal("RecordUnmatchedCharge"),
  data: UnmatchedChargeReceived.shape.data.omit({ receivedAt: true }).extend({ now: Timestamp }),
});
export const RecordUnmatchedChargeRefunded = z.object({
  type: z.literal("RecordUnmatchedChargeRefunded"),
  data: z.object({ telegramPaymentChargeId: ChargeId, now: Timestamp }),
});
export const UnmatchedChargeCommand = z.discriminatedUnion("type", [
  RecordUnmatchedCharge,
  RecordUnmatchedChargeRefunded,
]);
export type UnmatchedChargeCommand = z.infer<typeof UnmatchedChargeCommand>;

export type UnmatchedChargeError = {
  readonly type: "UnknownCharge";
  readonly telegramPaymentChargeId: string;
  readonly message: string;
};

/** A charge whose invoice_payload names no payment: recorded so it is never silently kept, then refunded. */
export type UnmatchedCharge =
  | { readonly status: "NONE" }
  | {
      readonly status: "RECEIVED" | "REFUNDED";
      readonly totalAmount: number;
      readonly telegramUserId: number | undefined;
    };

export const unmatchedChargeDecider: Decider<
  UnmatchedChargeCommand,
  UnmatchedChargeEvent,
  UnmatchedCharge,
  UnmatchedChargeError
> = {
  initialState: { status: "NONE" },
  evolve: (state, event) => {
    switch (event.type) {
      case "UnmatchedChargeReceived":
        return { status: "RECEIVED", totalAmount: event.data.totalAmount, telegramUserId: event.data.telegramUserId };
      case "UnmatchedChargeRefunded":
        return state.status === "NONE"
          ? { status: "REFUNDED", totalAmount: event.data.totalAmount, telegramUserId: undefined }
          : { ...state, status: "REFUNDED" };
    }
  },
  decide: (command, state): Result<UnmatchedChargeEvent[], UnmatchedChargeError> => {
    switch (command.type) {
      case "RecordUnmatchedCharge": {
        if (state.status !== "NONE") return ok([]);
        const { now, telegramUserId, ...rest } = command.data;
        return ok([
          {
            type: "UnmatchedChargeReceived",
            data: { ...rest, ...(telegramUserId === undefined ? {} : { telegramUserId }), receivedAt: now },
          },
        ]);
      }
      case "RecordUnmatchedChargeRefunded": {
        const chargeId = command.data.telegramPaymentChargeId;
        if (state.status === "NONE") {
          return err({
            type: "UnknownCharge",
            telegramPaymentChargeId: chargeId,
            message: `No unmatched charge ${chargeId}`,
          });
        }
        if (state.status === "REFUNDED") return ok([]);
        return ok([
          {
            type: "UnmatchedChargeRefunded",
            data: { telegramPaymentChargeId: chargeId, totalAmount: state.totalAmount, refundedAt: command.data.now },
          },
        ]);
      }
    }
  },
  eventTypes: eventTypesOf(UnmatchedChargeEvent),
  // The charge is claimed ledger-wide: a charge a payment already recorded is never recorded (and refunded) here too.
  naturalKeyOf: (event) =>
    event.type === "UnmatchedChargeReceived" ? chargeKey(event.data.telegramPaymentChargeId) : undefined,
};
