import type { LedgerEvent } from "./events.js";

/** Stream naming: one place, so stores can filter by prefix and auditors can read names. */
export const streamPrefixes = ["payment-", "credits-", "unmatched-charge-"] as const;

export const paymentStream = (paymentId: string): string => `payment-${paymentId}`;
export const creditsStream = (userId: number): string => `credits-${userId}`;
export const unmatchedChargeStream = (telegramPaymentChargeId: string): string =>
  `unmatched-charge-${telegramPaymentChargeId}`;

export const isLedgerStream = (stream: string): boolean => streamPrefixes.some((prefix) => stream.startsWith(prefix));

/** The stream a ledger event belongs on, from its own data: where it is appended, and where a reader expects it. */
export const ledgerStreamOf = (event: LedgerEvent): string => {
  switch (event.type) {
    case "CreditsAdjusted":
      return creditsStream(event.data.userId);
    case "UnmatchedChargeReceived":
    case "UnmatchedChargeRefunded":
      return unmatchedChargeStream(event.data.telegramPaymentChargeId);
    default:
      return paymentStream(event.data.paymentId);
  }
};
