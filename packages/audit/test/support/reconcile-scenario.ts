import type { EventStore, StarsLedger } from "@starledger/core";
import type { StarTransaction } from "@starledger/telegram-adapter";
import { readAllEvents, scenarioNow } from "./ledger-scenario.js";

export const paymentId = (n: number): string => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;
export const now = (): Date => scenarioNow;

/** A paid 10-Star payment whose charge id is `ch-<n>`. */
export const paidPayment = async (ledger: StarsLedger, n: number, totalAmount = 10): Promise<void> => {
  (
    await ledger.createPayment({ paymentId: paymentId(n), userId: 2000 + n, packageId: "pkg_100", now: scenarioNow })
  )._unsafeUnwrap();
  const charge = {
    invoicePayload: paymentId(n),
    telegramPaymentChargeId: `ch-${n}`,
    providerPaymentChargeId: "",
    currency: "XTR",
    totalAmount,
    telegramUserId: 2000 + n,
    now: scenarioNow,
  };
  (await ledger.recordSuccessfulPayment(charge))._unsafeUnwrap();
};

/** A Star transaction as the Bot API client returns it: a user's charge (source) or a refund to a user (receiver). */
export const tx = (
  id: string,
  starsAmount: number,
  partner: "source" | "receiver",
  userId: number,
  invoicePayload?: string,
): StarTransaction => ({
  id,
  starsAmount,
  nanostarAmount: 0,
  date: scenarioNow,
  source: partner === "source" ? { type: "user", userId, invoicePayload } : undefined,
  receiver: partner === "receiver" ? { type: "user", userId, invoicePayload: undefined } : undefined,
});

export const eventCount = async (store: EventStore): Promise<number> => (await readAllEvents(store)).length;
