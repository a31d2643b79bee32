import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CommandHandler,
  InMemoryEventStore,
  chargeKey,
  creditAccountDecider,
  creditsStream,
  findPackageByStars,
  paymentDecider,
  paymentStream,
  type CommandContext,
  type EventStore,
  type Handled,
  type LedgerEvent,
} from "../src/index.js";
import { CountingEventStore, collect } from "../src/testing/index.js";
import {
  chargeOf,
  numRuns,
  otherThan,
  ownerOf,
  paymentIds,
  rate,
  starsOf,
  story,
  type Op,
  type Story,
} from "./ledger-stories.js";

const paymentId = paymentIds[0] ?? "";
const userId = 101;
const base = Date.parse("2026-11-26T10:00:00.000Z");
const at = (minute: number): string => new Date(base + minute * 60_000).toISOString();

/** One handler command, as a use case would send it: the payment's own commands and the account's adjustment. */
type Sent = (handler: CommandHandler) => Promise<unknown>;

const paymentCommand = (
  handler: CommandHandler,
  command: Parameters<typeof paymentDecider.decide>[0],
  context: CommandContext = {},
) => handler.handle(paymentDecider, paymentStream(paymentId), command, context);

/** The story's command on payment 0 or on user 101's account: every command of a wave goes to one of two lanes. */
const sent = (st: Story, op: Op): Sent => {
  const stars = starsOf(st, 0);
  const owner = ownerOf(st, 0);
  switch (op.kind) {
    case "create": {
      const starsAmount = op.otherPackage ? (stars === 10 ? 25 : 10) : stars;
      const chosen = findPackageByStars(starsAmount, rate);
      const data = {
        paymentId,
        userId: op.otherUser ? otherThan(owner) : owner,
        packageId: chosen?.id ?? "pkg_100",
        starsAmount,
        credits: chosen?.credits ?? 100,
        expiresAt: at(op.minute + 30),
        now: at(op.minute),
      };
      return (h) => paymentCommand(h, { type: "CreatePayment", data });
    }
    case "issue":
      return (h) =>
        paymentCommand(h, { type: "RecordInvoiceIssued", data: { invoiceLink: op.link, now: at(op.minute) } });
    case "invoiceFailed":
      return (h) =>
        paymentCommand(h, { type: "RecordInvoiceCreationFailed", data: { message: op.message, now: at(op.minute) } });
    case "preCheckout": {
      const data = {
        queryId: op.query,
        telegramUserId: op.otherUser ? otherThan(owner) : owner,
        currency: op.currency,
        totalAmount: stars + (op.wrongAmount ? 1 : 0),
        requireSameUser: true,
        now: at(op.minute),
      };
      return (h) =>
        paymentCommand(h, { type: "AnswerPreCheckout", data }, { idempotencyKey: `pre_checkout:${op.query}` });
    }
    case "pay":
    case "payUnmatched": {
      const chargeId = chargeOf(st, op.charge);
      const data = {
        telegramPaymentChargeId: chargeId,
        providerPaymentChargeId: op.provider,
        currency: op.kind === "pay" ? op.currency : "XTR",
        totalAmount: stars + (op.kind === "pay" && op.wrongAmount ? 1 : 0),
        telegramUserId: owner,
        now: at(op.minute),
      };
      return (h) =>
        paymentCommand(h, { type: "RecordSuccessfulPayment", data }, { idempotencyKey: chargeKey(chargeId) });
    }
    case "telegramRefund": {
      const chargeId = chargeOf(st, op.charge);
      const data = { telegramPaymentChargeId: chargeId, now: at(op.minute) };
      return (h) =>
        paymentCommand(h, { type: "RecordRefundedPayment", data }, { idempotencyKey: `refund:${chargeId}` });
    }
    case "adminRefund": {
      const key = op.key === null ? {} : { idempotencyKey: st.keys[op.key] ?? "" };
      return (h) => paymentCommand(h, { type: "RefundPayment", data: { admin: op.admin, ...key, now: at(op.minute) } });
    }
    case "expire":
      return (h) => paymentCommand(h, { type: "ExpirePayment", data: { now: at(op.minute) } });
    case "adjust": {
      const key = op.key === null ? {} : { idempotencyKey: st.keys[op.key] ?? "" };
      const data = { userId, delta: op.delta, reason: op.reason, admin: op.admin, ...key, now: at(op.minute) };
      return (h) => h.handle(creditAccountDecider, creditsStream(userId), { type: "AdjustCredits", data });
    }
  }
};

/** An answer without global positions: two lanes' appends may interleave in another order. */
const answer = (result: unknown) => {
  const r = result as { isOk(): boolean; value: Handled<unknown, LedgerEvent>; error: unknown };
  if (!r.isOk()) return { error: r.error };
  const { state, newEvents, revision, alreadyRecorded } = r.value;
  return { state, newEvents, revision, alreadyRecorded: alreadyRecorded?.map((recorded) => recorded.event) };
};

const streamByStream = async (store: EventStore) =>
  (await collect(store.readAll()))
    .map((e) => [e.stream, e.revision, e.type, e.data, e.metadata.hash] as const)
    .sort(([a, x], [b, y]) => (a === b ? Number(x - y) : a < b ? -1 : 1));

describe("a batch decides as the same commands one at a time would (fast-check)", () => {
  it("each wave sent at once to one handler answers and records what it does sent one by one to a handler without a cache", async () => {
    let batched = 0;
    await fc.assert(
      fc.asyncProperty(story, async (st) => {
        const inTurnStore = new InMemoryEventStore();
        const reference = new CommandHandler(inTurnStore, { stateCacheStreamsMax: 0 });
        const together = new CountingEventStore(new InMemoryEventStore());
        const handler = new CommandHandler(together);
        let commands = 0;
        for (const wave of st.waves) {
          const commandsOfWave = wave.map((op) => sent(st, op));
          const expected = [];
          for (const send of commandsOfWave) expected.push(answer(await send(reference)));
          const answered = (await Promise.all(commandsOfWave.map((send) => send(handler)))).map(answer);
          expect(answered).toEqual(expected);
          commands += wave.length;
        }
        expect(await streamByStream(together)).toEqual(await streamByStream(inTurnStore));
        if (together.appends < commands) batched++;
      }),
      { numRuns },
    );
    expect(batched, `stories answered in fewer appends than commands, of ${numRuns}`).toBeGreaterThan(numRuns / 4);
  });
});
