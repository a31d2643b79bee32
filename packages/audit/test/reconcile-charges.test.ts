import { InMemoryEventStore, paymentStream } from "@starledger/core";
import { createMockBotApi } from "@starledger/telegram-adapter";
import { describe, expect, it } from "vitest";
import { formatReconcileReport, reconcile } from "../src/index.js";
import { newLedger, readAllEvents, scenarioNow } from "./support/ledger-scenario.js";
import { eventCount, now, paidPayment, paymentId, tx } from "./support/reconcile-scenario.js";

describe("reconcile of extra and unmatched charges", () => {
  it("shows whether each was refunded on each side, and flags one awaiting its refund", async () => {
    const store = new InMemoryEventStore();
    const ledger = newLedger(store);
    await paidPayment(ledger, 1);
    const extra = {
      invoicePayload: paymentId(1),
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 10,
      telegramUserId: 2001,
      now: scenarioNow,
    };
    (await ledger.recordSuccessfulPayment({ ...extra, telegramPaymentChargeId: "ch-extra-refunded" }))._unsafeUnwrap();
    (await ledger.recordExtraChargeRefunded(paymentId(1), "ch-extra-refunded", scenarioNow))._unsafeUnwrap();
    (await ledger.recordSuccessfulPayment({ ...extra, telegramPaymentChargeId: "ch-extra-waiting" }))._unsafeUnwrap();
    const unmatched = {
      invoicePayload: "stale-payload",
      providerPaymentChargeId: "",
      currency: "XTR",
      totalAmount: 25,
      telegramUserId: 2002,
      now: scenarioNow,
    };
    (await ledger.recordSuccessfulPayment({ ...unmatched, telegramPaymentChargeId: "ch-unmatched" }))._unsafeUnwrap();
    (await ledger.recordUnmatchedChargeRefunded("ch-unmatched", scenarioNow))._unsafeUnwrap();

    const botApi = createMockBotApi();
    botApi.seedStarTransactions([
      tx("ch-1", 10, "source", 2001, paymentId(1)),
      tx("ch-extra-refunded", 10, "source", 2001, paymentId(1)),
      tx("ch-extra-refunded", 10, "receiver", 2001),
      tx("ch-extra-waiting", 10, "source", 2001, paymentId(1)),
      tx("ch-unmatched", 25, "source", 2002, "stale-payload"),
      tx("ch-unmatched", 25, "receiver", 2002),
      {
        ...tx("withdrawal-1", 5, "receiver", 1),
        receiver: { type: "fragment", userId: undefined, invoicePayload: undefined },
      },
    ]);

    const report = (await reconcile({ store, ledger, botApi, apply: false, now }))._unsafeUnwrap();

    expect(report.uncreditedCharges).toEqual([
      expect.objectContaining({
        kind: "extra",
        telegramPaymentChargeId: "ch-extra-refunded",
        reason: "invoice_already_paid",
        onTelegram: true,
        refundedInLedger: true,
        refundedOnTelegram: true,
        awaitingRefund: false,
        fix: null,
      }),
      expect.objectContaining({
        kind: "extra",
        telegramPaymentChargeId: "ch-extra-waiting",
        refundedInLedger: false,
        refundedOnTelegram: false,
        awaitingRefund: true,
      }),
      expect.objectContaining({
        kind: "unmatched",
        telegramPaymentChargeId: "ch-unmatched",
        invoicePayload: "stale-payload",
        refundedInLedger: true,
        refundedOnTelegram: true,
        awaitingRefund: false,
      }),
    ]);
    expect(report.uncreditedCharges[1]?.fix).toContain("refundStarPayment");
    expect(report.discrepancies).toBe(1);
    expect(report.telegram).toMatchObject({ charges: 4, starsReceived: 55, refunds: 2, starsRefunded: 35, other: 1 });
    expect(report.ledger).toMatchObject({
      charges: 4,
      starsReceived: 55,
      starsCredited: 10,
      refunds: 2,
      starsRefunded: 35,
    });
    expect(formatReconcileReport(report)).toContain("ch-extra-waiting: extra (invoice_already_paid), 10 Stars");
  });

  it("reports a credited charge Telegram never made, with the credit adjustment that takes it back", async () => {
    const store = new InMemoryEventStore();
    const ledger = newLedger(store);
    await paidPayment(ledger, 1);
    const botApi = createMockBotApi();

    const report = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();

    expect(report.chargesNotOnTelegram).toEqual([
      expect.objectContaining({
        kind: "payment",
        telegramPaymentChargeId: "ch-1",
        paymentId: paymentId(1),
        starsAmount: 10,
        credits: 100,
        refundedInLedger: false,
      }),
    ]);
    expect(report.chargesNotOnTelegram[0]?.fix).toContain(
      '/api/credits/admin/adjust -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" -d \'{"userId":2001,"delta":-100,',
    );
    expect(report.ok).toBe(false);
  });

  it("does not credit a lost charge Telegram already refunded, nor one whose invoice is no longer pending", async () => {
    const store = new InMemoryEventStore();
    const ledger = newLedger(store);
    await paidPayment(ledger, 1);
    (
      await ledger.createPayment({ paymentId: paymentId(2), userId: 2002, packageId: "pkg_100", now: scenarioNow })
    )._unsafeUnwrap();
    const botApi = createMockBotApi();
    botApi.seedStarTransactions([
      tx("ch-1", 10, "source", 2001, paymentId(1)),
      tx("ch-again", 10, "source", 2001, paymentId(1)),
      tx("ch-2", 10, "source", 2002, paymentId(2)),
      tx("ch-2", 10, "receiver", 2002),
    ]);
    const before = await eventCount(store);

    const report = (await reconcile({ store, ledger, botApi, apply: true, now }))._unsafeUnwrap();

    expect(await eventCount(store)).toBe(before);
    expect(report.applied).toEqual([]);
    expect(
      report.missingCharges.map((m) => [m.telegramPaymentChargeId, m.paymentStatus, m.refundedOnTelegram, m.appliable]),
    ).toEqual([
      ["ch-again", "PAID", false, false],
      ["ch-2", "PENDING", true, false],
    ]);
    expect(report.missingCharges[1]?.fix).toContain("refunded_payment");
  });

  it("is not ok when the page bound stopped the walk", async () => {
    const store = new InMemoryEventStore();
    const botApi = createMockBotApi();
    botApi.seedStarTransactions(Array.from({ length: 100 }, (_, i) => tx(`ch-${i}`, 1, "source", 1, "x")));
    const report = (
      await reconcile({ store, ledger: newLedger(store), botApi, apply: false, now, maxPages: 1 })
    )._unsafeUnwrap();
    expect(report.telegram.complete).toBe(false);
    expect(formatReconcileReport(report)).toContain("INCOMPLETE");
  });
});

describe("reconcile of a ledger the read models cannot wholly read", () => {
  it("names the read model that stopped and where, is not ok, and does not count the ledger whole", async () => {
    const store = new InMemoryEventStore();
    const ledger = newLedger(store);
    await paidPayment(ledger, 1);
    // A PaymentPaid this build cannot read (no charge id): the payments and balances models stop on it.
    (
      await store.appendToStream(
        paymentStream(paymentId(2)),
        [{ id: "bad-1", type: "PaymentPaid", data: { paymentId: paymentId(2) }, metadata: { schemaVersion: 1 } }],
        "any",
      )
    )._unsafeUnwrap();
    const badPosition = (await readAllEvents(store)).length;
    await paidPayment(ledger, 3);
    const botApi = createMockBotApi();
    botApi.seedStarTransactions([
      tx("ch-1", 10, "source", 2001, paymentId(1)),
      tx("ch-3", 10, "source", 2003, paymentId(3)),
    ]);

    const report = (await reconcile({ store, ledger, botApi, apply: false, now }))._unsafeUnwrap();

    expect(report.ledger.unreadable.map((u) => [u.model, u.position])).toEqual([
      ["payments", String(badPosition)],
      ["balances", String(badPosition)],
    ]);
    expect(report.ledger.unreadable[0]?.message).toContain(`position ${badPosition} on ${paymentStream(paymentId(2))}`);
    // The payments model shows nothing after the event it stopped on: ch-3 is not seen in the ledger.
    expect(report.ledger).toMatchObject({ events: badPosition + 2, payments: 1, charges: 1 });
    expect(report.missingCharges.map((m) => m.telegramPaymentChargeId)).toEqual(["ch-3"]);
    expect(report).toMatchObject({ ok: false, discrepancies: 3 });
    const text = formatReconcileReport(report);
    expect(text).toContain("Ledger events a read model could not apply (it shows nothing after them): 2");
    expect(text).toContain(`  - payments: event at position ${badPosition} on ${paymentStream(paymentId(2))}: `);
  });
});
