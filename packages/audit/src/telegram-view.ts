import type { StarTransaction } from "@starledger/telegram-adapter";

export type TelegramCharge = {
  readonly id: string;
  readonly starsAmount: number;
  readonly date: Date;
  readonly userId: number | undefined;
  readonly invoicePayload: string | undefined;
};
export type TelegramRefund = { readonly id: string; readonly starsAmount: number; readonly date: Date };

/** What Telegram's Star transactions say: the charges users made and the refunds they got, by charge id. */
export type TelegramView = {
  readonly transactions: number;
  /** False when the page bound stopped the walk before Telegram's last transaction. */
  readonly complete: boolean;
  readonly charges: ReadonlyMap<string, TelegramCharge>;
  readonly refunds: ReadonlyMap<string, TelegramRefund>;
  /** Neither a user's payment nor a refund to a user (withdrawals, ads, ...): counted, not compared. */
  readonly other: number;
};

/**
 * A user's payment arrives as an incoming transaction whose source is the user; its id is the
 * telegram_payment_charge_id. A refund is an outgoing transaction whose receiver is the user, with the
 * id of the refunded charge (Bot API, StarTransaction).
 */
export const telegramView = (transactions: readonly StarTransaction[], complete: boolean): TelegramView => {
  const charges = new Map<string, TelegramCharge>();
  const refunds = new Map<string, TelegramRefund>();
  let other = 0;
  for (const t of transactions) {
    if (t.source?.type === "user" && t.receiver === undefined) {
      if (!charges.has(t.id)) {
        charges.set(t.id, {
          id: t.id,
          starsAmount: t.starsAmount,
          date: t.date,
          userId: t.source.userId,
          invoicePayload: t.source.invoicePayload,
        });
      }
    } else if (t.receiver?.type === "user" && t.source === undefined) {
      if (!refunds.has(t.id)) refunds.set(t.id, { id: t.id, starsAmount: t.starsAmount, date: t.date });
    } else {
      other++;
    }
  }
  return { transactions: transactions.length, complete, charges, refunds, other };
};
