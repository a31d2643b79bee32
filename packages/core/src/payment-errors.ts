export type PreCheckoutRefusal =
  | "payment_not_found"
  | "not_pending"
  | "already_paid"
  | "amount_mismatch"
  | "currency_mismatch"
  | "other_user"
  | "expired";

/** Short user-facing texts for answerPreCheckoutQuery's error_message. */
export const preCheckoutErrorMessages: Record<PreCheckoutRefusal, string> = {
  payment_not_found: "Payment not found. Please start a new purchase.",
  not_pending: "This payment is no longer available. Please start a new purchase.",
  already_paid: "This invoice has already been paid.",
  amount_mismatch: "The amount does not match the invoice. Please start a new purchase.",
  currency_mismatch: "Only Telegram Stars (XTR) are accepted for this invoice.",
  other_user: "This invoice was created for another user.",
  expired: "This invoice has expired. Please start a new purchase.",
};

/** A payment's status: the one list, so schemas and read models cannot drift from the decider. */
export const paymentStatuses = ["PENDING", "PAID", "FAILED", "REFUNDED"] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export type PaymentError =
  | { readonly type: "PaymentNotFound"; readonly message: string }
  | { readonly type: "PaymentAlreadyExists"; readonly message: string }
  | {
      readonly type: "PreCheckoutRefused";
      readonly reason: PreCheckoutRefusal;
      readonly errorMessage: string;
      readonly message: string;
    }
  | { readonly type: "PaymentNotPending"; readonly status: PaymentStatus; readonly message: string }
  | { readonly type: "PaymentNotPaid"; readonly status: PaymentStatus; readonly message: string }
  | { readonly type: "PaymentAlreadyRefunded"; readonly message: string }
  | { readonly type: "PaymentNotExpired"; readonly message: string }
  | { readonly type: "UnknownCharge"; readonly telegramPaymentChargeId: string; readonly message: string };

export const paymentNotFound = (): PaymentError => ({ type: "PaymentNotFound", message: "Payment not found" });

export const preCheckoutRefused = (reason: PreCheckoutRefusal): PaymentError => ({
  type: "PreCheckoutRefused",
  reason,
  errorMessage: preCheckoutErrorMessages[reason],
  message: `Pre-checkout refused: ${reason}`,
});
