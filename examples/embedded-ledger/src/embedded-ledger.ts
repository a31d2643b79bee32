import { randomUUID } from "node:crypto";
import { StarsLedger } from "@starledger/core";
import { replay } from "@starledger/projections";
import { openSqliteEventStore } from "@starledger/store-sqlite";

/**
 * A bot backend that embeds the ledger: create a payment, approve Telegram's pre-checkout, record the
 * successful payment (twice, as a retried webhook would), then rebuild the balance by replay.
 */
export const runExample = async (
  databasePath: string,
  log: (line: string) => void,
): Promise<{ credits: number; events: number }> => {
  const store = openSqliteEventStore({ path: databasePath });
  try {
    const ledger = new StarsLedger(store, {
      starsToCreditsRate: 10,
      paymentTtlMs: 24 * 60 * 60 * 1000,
      requireSameUser: true,
    });
    const userId = 512345678;
    const paymentId = randomUUID();
    const now = new Date();

    const created = await ledger.createPayment({ paymentId, userId, packageId: "pkg_250", now });
    if (created.isErr()) throw new Error(created.error.type);
    log(
      `created ${paymentId}: ${created.value.payment.starsAmount} Stars for ${created.value.payment.credits} credits`,
    );

    const approved = await ledger.answerPreCheckout({
      invoicePayload: paymentId,
      queryId: "q-1",
      telegramUserId: userId,
      currency: "XTR",
      totalAmount: 25,
      now,
    });
    log(`pre-checkout: ${approved.isOk() ? "approved" : `refused (${approved.error.type})`}`);

    const charge = {
      invoicePayload: paymentId,
      telegramPaymentChargeId: "stx-example-1",
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 25,
      telegramUserId: userId,
      now,
    };
    for (const delivery of [1, 2]) {
      const paid = await ledger.recordSuccessfulPayment(charge);
      log(`delivery ${delivery} of the charge: ${paid.isOk() ? paid.value.kind : paid.error.type}`);
    }

    const rebuilt = await replay(store);
    const credits = rebuilt.models.balances.get(userId).credits;
    log(`replayed ${rebuilt.eventCount} events: user ${userId} has ${credits} credits`);
    return { credits, events: rebuilt.eventCount };
  } finally {
    await store.close();
  }
};
