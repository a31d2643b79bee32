import { InMemoryEventStore, type StarsLedger } from "@starledger/core";
import { createBotApi } from "@starledger/telegram-adapter";
import { afterEach, describe, expect, it } from "vitest";
import { formatReconcileReport, reconcile, reconcileReportJson, type ReconcileReport } from "../src/index.js";
import {
  FakeBotApiServer,
  userCharge,
  userRefund,
  type WireStarTransaction,
} from "@starledger/telegram-adapter/testing";
import { newLedger, readAllEvents, scenarioNow } from "./support/ledger-scenario.js";
import { eventCount, now, paidPayment, paymentId } from "./support/reconcile-scenario.js";

const servers: FakeBotApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const startServer = async (transactions: readonly WireStarTransaction[]) => {
  const server = new FakeBotApiServer();
  server.starTransactions = transactions;
  servers.push(server);
  await server.start();
  return {
    server,
    botApi: createBotApi({ mode: "REAL", token: "123456:TEST-reconcile-token", apiRoot: server.root, maxRetries: 0 }),
  };
};

const lostPaymentId = paymentId(999);
const paymentsCount = 110;

/** 110 paid payments and one pending (pkg_250) whose successful_payment webhook was lost. */
const ledgerWithLostWebhook = async (): Promise<{ store: InMemoryEventStore; ledger: StarsLedger }> => {
  const store = new InMemoryEventStore();
  const ledger = newLedger(store);
  for (let n = 1; n <= paymentsCount; n++) await paidPayment(ledger, n);
  (
    await ledger.createPayment({ paymentId: lostPaymentId, userId: 3000, packageId: "pkg_250", now: scenarioNow })
  )._unsafeUnwrap();
  return { store, ledger };
};

/** What Telegram lists for that ledger: every charge, the lost one, a refund the ledger missed, and a charge of another amount. */
const telegramTransactions = (): WireStarTransaction[] => [
  ...Array.from({ length: paymentsCount }, (_, i) =>
    userCharge(`ch-${i + 1}`, i + 1 === 7 ? 50 : 10, 2001 + i, paymentId(i + 1)),
  ),
  userCharge("ch-lost", 25, 3000, lostPaymentId),
  userRefund("ch-5", 10, 2005),
];

describe("reconcile against the Bot API", () => {
  it("pages through every transaction and reports the lost charge, the missed refund and the amount mismatch", async () => {
    const { store, ledger } = await ledgerWithLostWebhook();
    const { server, botApi } = await startServer(telegramTransactions());

    const report = (await reconcile({ store, ledger, botApi, apply: false, now }))._unsafeUnwrap();

    expect(server.callsOf("getStarTransactions").map((r) => ({ offset: r.body.offset, limit: r.body.limit }))).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
    ]);
    expect(report.ok).toBe(false);
    expect(report.discrepancies).toBe(3);
    expect(report.missingCharges).toEqual([
      expect.objectContaining({
        telegramPaymentChargeId: "ch-lost",
        starsAmount: 25,
        telegramUserId: 3000,
        invoicePayload: lostPaymentId,
        paymentStatus: "PENDING",
        refundedOnTelegram: false,
        appliable: true,
      }),
    ]);
    expect(report.missingRefunds).toEqual([
      expect.objectContaining({
        kind: "payment",
        telegramPaymentChargeId: "ch-5",
        paymentId: paymentId(5),
        starsAmount: 10,
      }),
    ]);
    expect(report.amountMismatches).toEqual([
      expect.objectContaining({
        kind: "payment",
        telegramPaymentChargeId: "ch-7",
        paymentId: paymentId(7),
        ledgerStarsAmount: 10,
        telegramStarsAmount: 50,
      }),
    ]);
    expect(report.chargesNotOnTelegram).toEqual([]);
    expect(report.refundsNotOnTelegram).toEqual([]);
    expect(report.telegram).toEqual({
      transactions: 112,
      complete: true,
      charges: 111,
      starsReceived: 109 * 10 + 50 + 25,
      refunds: 1,
      starsRefunded: 10,
      other: 0,
    });
    expect(report.ledger).toMatchObject({
      payments: 111,
      pendingPayments: 1,
      charges: 110,
      starsReceived: 1100,
      starsCredited: 1100,
      refunds: 0,
      starsRefunded: 0,
    });
    expect(report.applied).toEqual([]);
  });

  it("suggests the command that fixes each discrepancy", async () => {
    const { store, ledger } = await ledgerWithLostWebhook();
    const { botApi } = await startServer(telegramTransactions());

    const report = (
      await reconcile({ store, ledger, botApi, apply: false, now, serviceUrl: "https://ledger.example/" })
    )._unsafeUnwrap();
    const text = formatReconcileReport(report);

    expect(report.missingCharges[0]?.fix).toContain("starledger reconcile --apply");
    expect(report.missingRefunds[0]?.fix).toContain("curl -X POST https://ledger.example/master/webhook");
    expect(report.missingRefunds[0]?.fix).toContain('"refunded_payment":{"currency":"XTR","total_amount":10');
    expect(report.amountMismatches[0]?.fix).toContain(
      `https://ledger.example/api/payments/admin/${paymentId(7)}/refund`,
    );
    expect(text).toContain("Charges Telegram has that the ledger never recorded: 1");
    expect(text).toContain(
      `ch-lost: 25 Stars from user 3000 on 2025-11-26T09:40:00.000Z, invoice_payload ${lostPaymentId} (payment PENDING)`,
    );
    expect(text.split("\n").at(-1)).toBe(
      "NOT OK: 3 discrepancies (reconcile --apply records the lost payments of pending invoices)",
    );
    const json = JSON.parse(reconcileReportJson(report)) as ReconcileReport;
    expect(json).toEqual(report);
  });

  it("with apply, records the lost payment through the webhook's command path, once", async () => {
    const { store, ledger } = await ledgerWithLostWebhook();
    const { botApi } = await startServer(telegramTransactions());

    const before = await eventCount(store);
    const first = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();
    const afterFirst = await eventCount(store);

    expect(first.applied).toEqual([
      expect.objectContaining({
        telegramPaymentChargeId: "ch-lost",
        paymentId: lostPaymentId,
        starsAmount: 25,
        outcome: "paid",
        position: String(afterFirst),
      }),
    ]);
    expect(afterFirst).toBe(before + 1);
    expect(first.missingCharges).toEqual([]);
    expect(first.discrepancies).toBe(2);
    const written = (await readAllEvents(store)).at(-1);
    expect(written).toMatchObject({ type: "PaymentPaid", metadata: { correlationId: "reconcile" } });
    expect((await ledger.getPayment(lostPaymentId))._unsafeUnwrap()).toMatchObject({
      status: "PAID",
      paidChargeId: "ch-lost",
      payerUserId: 3000,
    });

    const second = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();

    expect(await eventCount(store)).toBe(afterFirst);
    expect(second.applied).toEqual([]);
    expect(second.discrepancies).toBe(2);

    const lateWebhook = await ledger.recordSuccessfulPayment({
      invoicePayload: lostPaymentId,
      telegramPaymentChargeId: "ch-lost",
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 25,
      telegramUserId: 3000,
      now: scenarioNow,
    });
    expect(lateWebhook._unsafeUnwrap().kind).toBe("duplicate");
  });

  it("with apply, reports ok once the only discrepancy was a lost webhook, and the second run changes nothing", async () => {
    const { store, ledger } = await ledgerWithLostWebhook();
    const transactions = telegramTransactions()
      .filter((t) => t.receiver === undefined)
      .map((t) => (t.id === "ch-7" ? { ...t, amount: 10 } : t));
    const { botApi } = await startServer(transactions);

    const first = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();
    const count = await eventCount(store);
    const second = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();

    expect(first).toMatchObject({ ok: true, discrepancies: 0 });
    expect(first.applied).toHaveLength(1);
    expect(second).toMatchObject({ ok: true, discrepancies: 0, applied: [] });
    expect(await eventCount(store)).toBe(count);
    expect(formatReconcileReport(second).split("\n").at(-1)).toBe("OK: the ledger matches Telegram");
  });

  it("answers a Bot API failure as an error, not a report", async () => {
    const { store, ledger } = await ledgerWithLostWebhook();
    const botApi = createBotApi({
      mode: "REAL",
      token: "123456:TEST-reconcile-token",
      apiRoot: "http://127.0.0.1:9",
      maxRetries: 0,
      timeoutMs: 2_000,
    });
    const result = await reconcile({ store, ledger, botApi, apply: true, now });
    expect(result._unsafeUnwrapErr().type).toBe("TelegramUnavailable");
  });
});
