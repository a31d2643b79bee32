/** Stream naming: one place, so stores can filter by prefix and auditors can read names. */
export const streamPrefixes = ["payment-", "credits-", "unmatched-charge-"] as const;

export const paymentStream = (paymentId: string): string => `payment-${paymentId}`;
export const creditsStream = (userId: number): string => `credits-${userId}`;
export const unmatchedChargeStream = (telegramPaymentChargeId: string): string =>
  `unmatched-charge-${telegramPaymentChargeId}`;

export const isLedgerStream = (stream: string): boolean => streamPrefixes.some((prefix) => stream.startsWith(prefix));
