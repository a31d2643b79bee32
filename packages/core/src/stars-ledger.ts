import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import {
  CommandHandler,
  type CommandContext,
  type CommandHandlerOptions,
  type HandlerError,
} from "./command-handler.js";
import { creditAccountDecider, type CreditAccountError } from "./credit-account-decider.js";
import {
  findPackageById,
  findPackageByStars,
  validPackageIds,
  validStarsAmounts,
  type CreditPackage,
} from "./credit-packages.js";
import type { EventStore } from "./event-store.js";
import type { EventParseError } from "./events.js";
import {
  existingOrThrow,
  idempotencyConflict,
  sameAdjustment,
  successfulPaymentOutcome,
  type IdempotencyConflict,
  type RefundCheck,
  type RefundRequest,
  type SuccessfulPaymentOutcome,
  type Written,
} from "./ledger-outcomes.js";
import { chargeKey } from "./natural-keys.js";
import type { PaymentCommandOf } from "./payment-commands.js";
import { paymentDecider, type ExistingPayment } from "./payment-decider.js";
import { paymentNotFound, preCheckoutRefused, type PaymentError } from "./payment-errors.js";
import { creditsStream, paymentStream, unmatchedChargeStream } from "./streams.js";
import { unmatchedChargeDecider, type UnmatchedChargeError } from "./unmatched-charge-decider.js";

export type LedgerSettings = {
  readonly starsToCreditsRate: number;
  /** How long a pending payment may still be paid. */
  readonly paymentTtlMs: number;
  /** Only the user who created a payment may pay it. */
  readonly requireSameUser: boolean;
};

export type UnknownPackage = { readonly type: "UnknownPackage"; readonly message: string };
export type LedgerError =
  PaymentError | CreditAccountError | UnmatchedChargeError | UnknownPackage | IdempotencyConflict | HandlerError;

const isPaymentId = (payload: string): boolean => z.uuid().safeParse(payload).success;
const refundKeyUsedElsewhere = idempotencyConflict("This Idempotency-Key was already used to refund another payment");

/**
 * The use cases: what adapters call. Routing rules live here, not in adapters: a charge whose payload
 * names no payment goes to its own unmatched-charge stream, to be refunded; a charge id that another stream
 * recorded first is noted as a conflict, never credited twice.
 */
export class StarsLedger {
  readonly handler: CommandHandler;

  constructor(
    readonly store: EventStore,
    readonly settings: LedgerSettings,
    handlerOptions: CommandHandlerOptions = {},
  ) {
    this.handler = new CommandHandler(store, handlerOptions);
  }

  resolvePackage(request: { packageId?: string; starsAmount?: number }): Result<CreditPackage, UnknownPackage> {
    const rate = this.settings.starsToCreditsRate;
    if (request.packageId !== undefined) {
      const found = findPackageById(request.packageId, rate);
      if (found !== undefined && (request.starsAmount === undefined || request.starsAmount === found.starsAmount))
        return ok(found);
      return err({
        type: "UnknownPackage",
        message:
          found === undefined
            ? `Unknown packageId "${request.packageId}". Valid packages: ${validPackageIds.join(", ")}`
            : `packageId "${request.packageId}" costs ${found.starsAmount} Stars, not ${request.starsAmount}`,
      });
    }
    if (request.starsAmount !== undefined) {
      const found = findPackageByStars(request.starsAmount, rate);
      if (found !== undefined) return ok(found);
      return err({
        type: "UnknownPackage",
        message: `No package costs ${request.starsAmount} Stars. Valid starsAmount values: ${validStarsAmounts.join(", ")}`,
      });
    }
    return err({ type: "UnknownPackage", message: "Give either packageId or starsAmount" });
  }

  async createPayment(
    input: { paymentId: string; userId: number; packageId?: string; starsAmount?: number; now: Date },
    context: CommandContext = {},
  ): Promise<Result<{ payment: ExistingPayment; created: boolean } & Written, LedgerError>> {
    const creditPackage = this.resolvePackage(input);
    if (creditPackage.isErr()) return err(creditPackage.error);
    const handled = await this.handler.handle(
      paymentDecider,
      paymentStream(input.paymentId),
      {
        type: "CreatePayment",
        data: {
          paymentId: input.paymentId,
          userId: input.userId,
          packageId: creditPackage.value.id,
          starsAmount: creditPackage.value.starsAmount,
          credits: creditPackage.value.credits,
          expiresAt: new Date(input.now.getTime() + this.settings.paymentTtlMs).toISOString(),
          now: input.now.toISOString(),
        },
      },
      context,
    );
    return handled.map((h) => ({
      payment: existingOrThrow(h.state),
      created: h.newEvents.length > 0,
      position: h.position,
    }));
  }

  recordInvoiceIssued(paymentId: string, invoiceLink: string, now: Date, context: CommandContext = {}) {
    return this.onPayment(
      paymentId,
      { type: "RecordInvoiceIssued", data: { invoiceLink, now: now.toISOString() } },
      context,
    );
  }

  recordInvoiceCreationFailed(paymentId: string, message: string, now: Date, context: CommandContext = {}) {
    return this.onPayment(
      paymentId,
      { type: "RecordInvoiceCreationFailed", data: { message, now: now.toISOString() } },
      context,
    );
  }

  /** Ok when the pre-checkout may be approved; a PreCheckoutRefused error carries the user-facing message. */
  async answerPreCheckout(
    input: {
      invoicePayload: string;
      queryId: string;
      telegramUserId: number;
      currency: string;
      totalAmount: number;
      now: Date;
    },
    context: CommandContext = {},
  ): Promise<Result<{ payment: ExistingPayment } & Written, LedgerError>> {
    if (!isPaymentId(input.invoicePayload)) return err(preCheckoutRefused("payment_not_found"));
    const handled = await this.handler.handle(
      paymentDecider,
      paymentStream(input.invoicePayload),
      {
        type: "AnswerPreCheckout",
        data: {
          queryId: input.queryId,
          telegramUserId: input.telegramUserId,
          currency: input.currency,
          totalAmount: input.totalAmount,
          requireSameUser: this.settings.requireSameUser,
          now: input.now.toISOString(),
        },
      },
      { idempotencyKey: `pre_checkout:${input.queryId}`, ...context },
    );
    return handled.map((h) => ({ payment: existingOrThrow(h.state), position: h.position }));
  }

  async recordSuccessfulPayment(
    input: {
      invoicePayload: string;
      telegramPaymentChargeId: string;
      providerPaymentChargeId: string;
      currency: string;
      totalAmount: number;
      telegramUserId?: number;
      now: Date;
    },
    context: CommandContext = {},
  ): Promise<Result<SuccessfulPaymentOutcome & Written, LedgerError>> {
    const chargeContext = { idempotencyKey: chargeKey(input.telegramPaymentChargeId), ...context };
    const { invoicePayload, now, telegramUserId, ...charge } = input;
    const payer = telegramUserId === undefined ? {} : { telegramUserId };
    const data = { ...charge, ...payer, now: now.toISOString() };
    if (isPaymentId(invoicePayload)) {
      const charged = await this.chargePayment(invoicePayload, data, chargeContext);
      if (charged.isOk() || charged.error.type !== "PaymentNotFound") return charged;
    }
    const unmatched = await this.handler.handle(
      unmatchedChargeDecider,
      unmatchedChargeStream(input.telegramPaymentChargeId),
      { type: "RecordUnmatchedCharge", data: { ...data, invoicePayload } },
      chargeContext,
    );
    if (unmatched.isErr() && unmatched.error.type === "KeyAlreadyClaimed") {
      // Found missing a moment ago, the payment may have been created since and have taken this very charge: ask it.
      if (isPaymentId(invoicePayload)) {
        const charged = await this.chargePayment(invoicePayload, data, chargeContext);
        if (charged.isOk() || charged.error.type !== "PaymentNotFound") return charged;
      }
      // Recorded by another payment: an unmatched record would refund that payment's real charge. Nothing is written.
      return ok({ kind: "conflict", payment: undefined, position: undefined });
    }
    return unmatched.map((h) => ({ kind: "unmatched" as const, position: h.position }));
  }

  /** The charge on the payment its payload names: credited, kept aside, a duplicate, or another stream's. */
  private async chargePayment(
    paymentId: string,
    data: PaymentCommandOf<"RecordSuccessfulPayment">["data"],
    context: CommandContext,
  ): Promise<Result<SuccessfulPaymentOutcome & Written, LedgerError>> {
    const handled = await this.handler.handle(
      paymentDecider,
      paymentStream(paymentId),
      { type: "RecordSuccessfulPayment", data },
      context,
    );
    if (handled.isOk()) {
      const outcome = successfulPaymentOutcome(handled.value, data.telegramPaymentChargeId);
      return ok({ ...outcome, position: handled.value.position });
    }
    if (handled.error.type === "KeyAlreadyClaimed") return this.recordChargeConflict(paymentId, data, context);
    return err(handled.error);
  }

  /** The charge is another stream's: noted on this payment (once per charge), never credited, never refunded. */
  private async recordChargeConflict(
    paymentId: string,
    data: PaymentCommandOf<"RecordChargeConflict">["data"],
    context: CommandContext,
  ): Promise<Result<SuccessfulPaymentOutcome & Written, LedgerError>> {
    const noted = await this.onPayment(paymentId, { type: "RecordChargeConflict", data }, context);
    return noted.map(({ payment, position }) => ({ kind: "conflict" as const, payment, position }));
  }

  /** Telegram's refunded_payment: the charge may be a payment's, an extra charge, or an unmatched one. */
  async recordRefundedPayment(
    input: { invoicePayload: string; telegramPaymentChargeId: string; now: Date },
    context: CommandContext = {},
  ): Promise<Result<Written, LedgerError>> {
    const refundContext = { idempotencyKey: `refund:${input.telegramPaymentChargeId}`, ...context };
    if (isPaymentId(input.invoicePayload)) {
      const handled = await this.handler.handle(
        paymentDecider,
        paymentStream(input.invoicePayload),
        {
          type: "RecordRefundedPayment",
          data: { telegramPaymentChargeId: input.telegramPaymentChargeId, now: input.now.toISOString() },
        },
        refundContext,
      );
      if (handled.isOk()) return ok({ position: handled.value.position });
      if (handled.error.type !== "PaymentNotFound" && handled.error.type !== "UnknownCharge") return err(handled.error);
    }
    return this.recordUnmatchedChargeRefunded(input.telegramPaymentChargeId, input.now, refundContext);
  }

  /**
   * The admin refund's first step, before Telegram is asked: RefundRequested, which claims the Idempotency-Key
   * ledger-wide, so a key used to refund another payment is an IdempotencyConflict before any Star moves. The same
   * request again (its key) is `requested` while open and `alreadyRefunded` once refunded.
   */
  async requestRefund(
    paymentId: string,
    admin: string,
    now: Date,
    request: { readonly idempotencyKey?: string } = {},
    context: CommandContext = {},
  ): Promise<Result<RefundRequest, LedgerError>> {
    const key = request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey };
    const data = { admin, ...key, now: now.toISOString() };
    const requested = await this.onPayment(paymentId, { type: "RequestRefund", data }, context);
    if (requested.isErr()) {
      return err(requested.error.type === "KeyAlreadyClaimed" ? refundKeyUsedElsewhere : requested.error);
    }
    const { payment, position } = requested.value;
    if (payment.status !== "REFUNDED") return ok({ kind: "requested", payment, position });
    // Refunded before under this key: the answer is the payment as of its last event.
    const loaded = await this.handler.load(paymentDecider, paymentStream(paymentId));
    return loaded.map((l) => ({ kind: "alreadyRefunded", payment, position: l.lastPosition }));
  }

  /**
   * The admin refund, recorded after Telegram's refundStarPayment said ok (or CHARGE_ALREADY_REFUNDED). A keyed refund
   * whose request is not recorded yet records it first, claiming the key; the same refund asked again changes nothing.
   */
  async refundPayment(
    paymentId: string,
    admin: string,
    now: Date,
    request: { readonly idempotencyKey?: string } = {},
    context: CommandContext = {},
  ): Promise<Result<{ payment: ExistingPayment } & Written, LedgerError>> {
    const key = request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey };
    const refunded = await this.onPayment(
      paymentId,
      { type: "RefundPayment", data: { admin, ...key, now: now.toISOString() } },
      context,
    );
    if (refunded.isErr() && refunded.error.type === "KeyAlreadyClaimed") return err(refundKeyUsedElsewhere);
    return refunded;
  }

  /** What refundPayment would decide, without writing: lets the HTTP edge refuse, or answer a replay, before calling Telegram. */
  async checkRefundable(
    paymentId: string,
    now: Date,
    request: { readonly idempotencyKey?: string } = {},
  ): Promise<Result<RefundCheck, LedgerError>> {
    if (!isPaymentId(paymentId)) return err(paymentNotFound());
    const loaded = await this.handler.load(paymentDecider, paymentStream(paymentId));
    if (loaded.isErr()) return err(loaded.error);
    const payment = loaded.value.state;
    if (payment.status === "NONE") return err(paymentNotFound());
    const key = request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey };
    const decided = paymentDecider.decide(
      { type: "RefundPayment", data: { admin: "check", ...key, now: now.toISOString() } },
      payment,
    );
    if (decided.isErr()) return err(decided.error);
    if (decided.value.length > 0) return ok({ kind: "refundable", payment });
    return ok({ kind: "alreadyRefunded", payment, position: loaded.value.lastPosition });
  }

  recordExtraChargeRefunded(
    paymentId: string,
    telegramPaymentChargeId: string,
    now: Date,
    context: CommandContext = {},
  ) {
    return this.onPayment(
      paymentId,
      { type: "RecordExtraChargeRefunded", data: { telegramPaymentChargeId, now: now.toISOString() } },
      { idempotencyKey: `refund:${telegramPaymentChargeId}`, ...context },
    );
  }

  async recordUnmatchedChargeRefunded(
    telegramPaymentChargeId: string,
    now: Date,
    context: CommandContext = {},
  ): Promise<Result<Written, LedgerError>> {
    const handled = await this.handler.handle(
      unmatchedChargeDecider,
      unmatchedChargeStream(telegramPaymentChargeId),
      { type: "RecordUnmatchedChargeRefunded", data: { telegramPaymentChargeId, now: now.toISOString() } },
      { idempotencyKey: `refund:${telegramPaymentChargeId}`, ...context },
    );
    return handled.map((h) => ({ position: h.position }));
  }

  expirePayment(paymentId: string, now: Date, context: CommandContext = {}) {
    return this.onPayment(paymentId, { type: "ExpirePayment", data: { now: now.toISOString() } }, context);
  }

  /**
   * A manual adjustment. With an Idempotency-Key it takes effect once: the same adjustment asked again answers as the
   * first time (`replayed`), and the key used for another adjustment (other user, delta or reason) is refused.
   */
  async adjustCredits(
    input: { userId: number; delta: number; reason: string; admin: string; idempotencyKey?: string; now: Date },
    context: CommandContext = {},
  ): Promise<Result<Written & { adjustmentsTotal: number; replayed: boolean }, LedgerError>> {
    const { now, ...data } = input;
    const handled = await this.handler.handle(
      creditAccountDecider,
      creditsStream(input.userId),
      { type: "AdjustCredits", data: { ...data, now: now.toISOString() } },
      context,
    );
    const conflict = idempotencyConflict("This Idempotency-Key was already used for a different adjustment");
    if (handled.isErr()) return err(handled.error.type === "KeyAlreadyClaimed" ? conflict : handled.error);
    const { state, position, alreadyRecorded } = handled.value;
    const [earlier] = alreadyRecorded ?? [];
    if (earlier === undefined) return ok({ position, adjustmentsTotal: state.adjustmentsTotal, replayed: false });
    if (!sameAdjustment(earlier.event, input)) return err(conflict);
    return ok({ position: earlier.position, adjustmentsTotal: state.adjustmentsTotal, replayed: true });
  }

  async getPayment(paymentId: string): Promise<Result<ExistingPayment, LedgerError | EventParseError>> {
    if (!isPaymentId(paymentId)) return err(paymentNotFound());
    const loaded = await this.handler.load(paymentDecider, paymentStream(paymentId));
    if (loaded.isErr()) return err(loaded.error);
    const state = loaded.value.state;
    return state.status === "NONE" ? err(paymentNotFound()) : ok(state);
  }

  private async onPayment(
    paymentId: string,
    command: Parameters<typeof paymentDecider.decide>[0],
    context: CommandContext,
  ): Promise<Result<{ payment: ExistingPayment } & Written, LedgerError>> {
    if (!isPaymentId(paymentId)) return err(paymentNotFound());
    const handled = await this.handler.handle(paymentDecider, paymentStream(paymentId), command, context);
    return handled.map((h) => ({ payment: existingOrThrow(h.state), position: h.position }));
  }
}
