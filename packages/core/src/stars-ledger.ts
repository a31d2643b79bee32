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
import type { EventParseError, PaymentEvent } from "./events.js";
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
export type LedgerError = PaymentError | CreditAccountError | UnmatchedChargeError | UnknownPackage | HandlerError;

export type Written = {
  /** Global position of the last event written; undefined when the command changed nothing. */
  readonly position: bigint | undefined;
};

export type SuccessfulPaymentOutcome =
  | { readonly kind: "paid"; readonly payment: ExistingPayment }
  | { readonly kind: "duplicate"; readonly payment: ExistingPayment }
  | { readonly kind: "uncredited"; readonly payment: ExistingPayment; readonly reason: string }
  | { readonly kind: "unmatched" };

const isPaymentId = (payload: string): boolean => z.uuid().safeParse(payload).success;

/**
 * The use cases: what adapters call. Routing rules live here, not in adapters: a charge whose payload
 * names no payment goes to its own unmatched-charge stream, to be refunded.
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
    const chargeContext = { idempotencyKey: `charge:${input.telegramPaymentChargeId}`, ...context };
    const { invoicePayload, now, telegramUserId, ...charge } = input;
    const payer = telegramUserId === undefined ? {} : { telegramUserId };
    if (isPaymentId(invoicePayload)) {
      const handled = await this.handler.handle(
        paymentDecider,
        paymentStream(invoicePayload),
        { type: "RecordSuccessfulPayment", data: { ...charge, ...payer, now: now.toISOString() } },
        chargeContext,
      );
      if (handled.isOk()) {
        const payment = existingOrThrow(handled.value.state);
        const position = handled.value.position;
        const written = handled.value.newEvents;
        if (written.length === 0) return ok({ kind: "duplicate", payment, position });
        const extra = written.find(
          (e): e is Extract<PaymentEvent, { type: "ExtraChargeReceived" }> => e.type === "ExtraChargeReceived",
        );
        if (extra !== undefined) return ok({ kind: "uncredited", payment, reason: extra.data.reason, position });
        return ok({ kind: "paid", payment, position });
      }
      if (handled.error.type !== "PaymentNotFound") return err(handled.error);
    }
    const unmatched = await this.handler.handle(
      unmatchedChargeDecider,
      unmatchedChargeStream(input.telegramPaymentChargeId),
      { type: "RecordUnmatchedCharge", data: { ...charge, ...payer, invoicePayload, now: now.toISOString() } },
      chargeContext,
    );
    return unmatched.map((h) => ({ kind: "unmatched" as const, position: h.position }));
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

  /** The admin refund, recorded after Telegram's refundStarPayment said ok. */
  refundPayment(paymentId: string, admin: string, now: Date, context: CommandContext = {}) {
    return this.onPayment(paymentId, { type: "RefundPayment", data: { admin, now: now.toISOString() } }, context);
  }

  /** What refundPayment would decide, without writing: lets the HTTP edge refuse before calling Telegram. */
  async checkRefundable(paymentId: string, now: Date): Promise<Result<ExistingPayment, LedgerError>> {
    const loaded = await this.getPayment(paymentId);
    if (loaded.isErr()) return err(loaded.error);
    return paymentDecider
      .decide({ type: "RefundPayment", data: { admin: "check", now: now.toISOString() } }, loaded.value)
      .map(() => loaded.value);
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

  async adjustCredits(
    input: { userId: number; delta: number; reason: string; admin: string; now: Date },
    context: CommandContext = {},
  ): Promise<Result<Written & { adjustmentsTotal: number }, LedgerError>> {
    const { now, ...data } = input;
    const handled = await this.handler.handle(
      creditAccountDecider,
      creditsStream(input.userId),
      { type: "AdjustCredits", data: { ...data, now: now.toISOString() } },
      context,
    );
    return handled.map((h) => ({ position: h.position, adjustmentsTotal: h.state.adjustmentsTotal }));
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

const existingOrThrow = (state: Parameters<typeof paymentDecider.evolve>[0]): ExistingPayment => {
  if (state.status === "NONE") throw new Error("assertion: a handled payment command left no payment");
  return state;
};
