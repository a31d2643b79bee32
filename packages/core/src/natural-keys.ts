import { deterministicEventId } from "./event-ids.js";

/**
 * Ledger-wide natural keys. An event that claims one gets an id derived from the key alone, not from its stream
 * or revision, and every store refuses an event id already recorded on another stream: the first stream to record
 * a key holds it for ever, atomically, with no extra append. A decider names its events' keys (Decider.naturalKeyOf).
 */
export const chargeKey = (telegramPaymentChargeId: string): string => `charge:${telegramPaymentChargeId}`;
export const adjustmentKey = (idempotencyKey: string): string => `adjust:${idempotencyKey}`;
export const adminRefundKey = (idempotencyKey: string): string => `admin-refund:${idempotencyKey}`;

/** JSON-quoted, so two keys that differ only in a lone surrogate or a NUL never share an id (UTF-8 would merge them). */
export const naturalKeyEventId = (key: string): string => deterministicEventId("ledger", JSON.stringify(key), 0);
