import { ledgerStreamOf, type EventOf, type JsonObject, type LedgerEvent, type RecordedEvent } from "@starledger/core";

/** Payment ids the schemas accept: UUIDs made from a small number. */
export const paymentIdOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export const at = (iso: string): string => new Date(iso).toISOString();

/** A store-free history: recorded events with dense positions, each on the stream its data names. */
export class History {
  readonly events: RecordedEvent[] = [];
  private readonly revisions = new Map<string, bigint>();

  add(event: LedgerEvent): RecordedEvent {
    return this.raw(ledgerStreamOf(event), event.type, event.data);
  }

  /** Anything at all, for the decoder's rules. */
  raw(stream: string, type: string, data: JsonObject, schemaVersion = 1): RecordedEvent {
    const revision = this.revisions.get(stream) ?? 0n;
    this.revisions.set(stream, revision + 1n);
    const recorded: RecordedEvent = {
      id: `event-${this.events.length + 1}`,
      type,
      data,
      metadata: { schemaVersion },
      stream,
      revision,
      position: BigInt(this.events.length + 1),
      recordedAt: new Date(0),
    };
    this.events.push(recorded);
    return recorded;
  }
}

type CreatedOptions = {
  userId?: number;
  starsAmount?: number;
  credits?: number;
  createdAt?: string;
  /** Default: createdAt + 24 h. */
  expiresAt?: string;
  packageId?: string;
};

export const created = (n: number, options: CreatedOptions = {}): EventOf<"PaymentCreated"> => {
  const createdAt = options.createdAt ?? at("2025-01-01T10:00:00Z");
  const starsAmount = options.starsAmount ?? 10;
  return {
    type: "PaymentCreated",
    data: {
      paymentId: paymentIdOf(n),
      userId: options.userId ?? 1001,
      packageId: options.packageId ?? `pkg_${starsAmount * 10}`,
      starsAmount,
      credits: options.credits ?? starsAmount * 10,
      createdAt,
      expiresAt: options.expiresAt ?? new Date(Date.parse(createdAt) + 86_400_000).toISOString(),
    },
  };
};

export const invoiceIssued = (n: number, issuedAt = at("2025-01-01T10:00:01Z")): EventOf<"InvoiceIssued"> => ({
  type: "InvoiceIssued",
  data: { paymentId: paymentIdOf(n), invoiceLink: `https://t.me/$invoice-${n}`, issuedAt },
});

export const approved = (
  n: number,
  userId = 1001,
  totalAmount = 10,
  approvedAt = at("2025-01-01T10:01:00Z"),
): EventOf<"PreCheckoutApproved"> => ({
  type: "PreCheckoutApproved",
  data: { paymentId: paymentIdOf(n), queryId: `query-${n}`, telegramUserId: userId, totalAmount, approvedAt },
});

type PaidOptions = { userId?: number; chargeId?: string; totalAmount?: number; credits?: number; paidAt?: string };
export const paid = (n: number, options: PaidOptions = {}): EventOf<"PaymentPaid"> => ({
  type: "PaymentPaid",
  data: {
    paymentId: paymentIdOf(n),
    userId: options.userId ?? 1001,
    telegramPaymentChargeId: options.chargeId ?? `charge-${n}`,
    providerPaymentChargeId: "",
    totalAmount: options.totalAmount ?? 10,
    credits: options.credits ?? 100,
    paidAt: options.paidAt ?? at("2025-01-01T10:02:00Z"),
  },
});

export const failed = (
  n: number,
  reason: EventOf<"PaymentFailed">["data"]["reason"] = "expired",
  failedAt = at("2025-01-02T10:00:00Z"),
): EventOf<"PaymentFailed"> => ({
  type: "PaymentFailed",
  data: { paymentId: paymentIdOf(n), reason, message: `failed: ${reason}`, failedAt },
});

type RefundedOptions = {
  userId?: number;
  chargeId?: string;
  starsAmount?: number;
  credits?: number;
  refundedAt?: string;
  admin?: string;
  idempotencyKey?: string;
};
export const refunded = (n: number, options: RefundedOptions = {}): EventOf<"PaymentRefunded"> => ({
  type: "PaymentRefunded",
  data: {
    paymentId: paymentIdOf(n),
    userId: options.userId ?? 1001,
    telegramPaymentChargeId: options.chargeId ?? `charge-${n}`,
    starsAmount: options.starsAmount ?? 10,
    credits: options.credits ?? 100,
    ...(options.admin === undefined
      ? { refundedBy: "telegram" as const }
      : { refundedBy: "admin" as const, admin: options.admin }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    refundedAt: options.refundedAt ?? at("2025-01-03T10:00:00Z"),
  },
});

export const extraCharge = (
  n: number,
  chargeId: string,
  reason: EventOf<"ExtraChargeReceived">["data"]["reason"] = "invoice_already_paid",
  totalAmount = 10,
  receivedAt = at("2025-01-01T11:00:00Z"),
): EventOf<"ExtraChargeReceived"> => ({
  type: "ExtraChargeReceived",
  data: {
    paymentId: paymentIdOf(n),
    reason,
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    telegramUserId: 1001,
    currency: "XTR",
    totalAmount,
    receivedAt,
  },
});

export const extraChargeRefunded = (
  n: number,
  chargeId: string,
  totalAmount = 10,
  refundedAt = at("2025-01-01T12:00:00Z"),
): EventOf<"ExtraChargeRefunded"> => ({
  type: "ExtraChargeRefunded",
  data: { paymentId: paymentIdOf(n), telegramPaymentChargeId: chargeId, totalAmount, refundedAt },
});

/** Charge `chargeId` delivered for payment n after another stream recorded it. */
export const chargeConflict = (
  n: number,
  chargeId: string,
  totalAmount = 10,
  receivedAt = at("2025-01-01T11:30:00Z"),
): EventOf<"ChargeConflictRecorded"> => ({
  type: "ChargeConflictRecorded",
  data: {
    paymentId: paymentIdOf(n),
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    totalAmount,
    currency: "XTR",
    telegramUserId: 1001,
    receivedAt,
  },
});

export const adjusted = (
  userId: number,
  delta: number,
  adjustedAt = at("2025-01-01T09:00:00Z"),
): EventOf<"CreditsAdjusted"> => ({
  type: "CreditsAdjusted",
  data: { userId, delta, reason: "support", admin: "admin-1", adjustedAt },
});

export const unmatchedCharge = (
  chargeId: string,
  totalAmount = 25,
  receivedAt = at("2025-01-01T13:00:00Z"),
): EventOf<"UnmatchedChargeReceived"> => ({
  type: "UnmatchedChargeReceived",
  data: {
    telegramPaymentChargeId: chargeId,
    providerPaymentChargeId: "",
    invoicePayload: "not-a-payment",
    currency: "XTR",
    totalAmount,
    telegramUserId: 2002,
    receivedAt,
  },
});

export const unmatchedChargeRefunded = (
  chargeId: string,
  totalAmount = 25,
  refundedAt = at("2025-01-01T14:00:00Z"),
): EventOf<"UnmatchedChargeRefunded"> => ({
  type: "UnmatchedChargeRefunded",
  data: { telegramPaymentChargeId: chargeId, totalAmount, refundedAt },
});
