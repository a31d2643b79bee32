import { wellFormedText } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

/** Telegram's limit on an invoice payload. */
export const invoicePayloadBytesMax = 128;
/** Generous bounds on ids Telegram sends as strings (query ids, charge ids). */
export const telegramIdLengthMax = 256;
/** Bound on free text we keep from an update (names, usernames). */
export const telegramTextLengthMax = 256;
/** The longest InvalidUpdate message, so a hostile body cannot make a huge error. */
const invalidUpdateMessageLengthMax = 1000;

const byteLength = (text: string): number => Buffer.byteLength(text, "utf8");

const UpdateId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const UserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
// Every string read from an update is well-formed text: a lone surrogate or a NUL would reach a stream name or
// an event, which the stores cannot give back as written.
const TelegramIdString = wellFormedText().min(1).max(telegramIdLengthMax);
const Text = wellFormedText().max(telegramTextLengthMax);
const Currency = wellFormedText().min(1).max(16);
const TotalAmount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const InvoicePayload = wellFormedText()
  .min(1)
  .refine((payload) => byteLength(payload) <= invoicePayloadBytesMax, {
    message: `invoice_payload must be at most ${invoicePayloadBytesMax} bytes`,
  });

/** Unknown members are dropped, not refused: Telegram adds fields over time. */
const UserSchema = z
  .object({
    id: UserId,
    is_bot: z.boolean().optional(),
    first_name: Text.optional(),
    username: Text.optional(),
    language_code: Text.optional(),
  })
  .transform((user) => ({
    id: user.id,
    ...(user.is_bot === undefined ? {} : { isBot: user.is_bot }),
    ...(user.first_name === undefined ? {} : { firstName: user.first_name }),
    ...(user.username === undefined ? {} : { username: user.username }),
    ...(user.language_code === undefined ? {} : { languageCode: user.language_code }),
  }));
export type TelegramUser = z.infer<typeof UserSchema>;

const PreCheckoutQuerySchema = z
  .object({
    id: TelegramIdString,
    from: UserSchema,
    currency: Currency,
    total_amount: z.number().int().max(Number.MAX_SAFE_INTEGER),
    invoice_payload: InvoicePayload,
  })
  .transform((query) => ({
    id: query.id,
    from: query.from,
    currency: query.currency,
    totalAmount: query.total_amount,
    invoicePayload: query.invoice_payload,
  }));
export type PreCheckoutQuery = z.infer<typeof PreCheckoutQuerySchema>;

/** SuccessfulPayment and RefundedPayment carry the same charge fields. */
const chargeFields = {
  currency: Currency,
  total_amount: TotalAmount,
  invoice_payload: InvoicePayload,
  telegram_payment_charge_id: TelegramIdString,
  // Absent in the runbook's simulated webhook; Stars payments send "".
  provider_payment_charge_id: wellFormedText().max(telegramIdLengthMax).optional(),
};

const ChargeObject = z.object(chargeFields);
const chargeOf = (payment: z.infer<typeof ChargeObject>) => ({
  currency: payment.currency,
  totalAmount: payment.total_amount,
  invoicePayload: payment.invoice_payload,
  telegramPaymentChargeId: payment.telegram_payment_charge_id,
});

const SuccessfulPaymentSchema = ChargeObject.transform((payment) => ({
  ...chargeOf(payment),
  providerPaymentChargeId: payment.provider_payment_charge_id ?? "",
}));
export type SuccessfulPayment = z.infer<typeof SuccessfulPaymentSchema>;

const RefundedPaymentSchema = ChargeObject.transform(chargeOf);
export type RefundedPayment = z.infer<typeof RefundedPaymentSchema>;

/** Messages carrying a payment: from and date are optional because the runbook's simulation omits them. */
const messageEnvelope = {
  message_id: z.number().int().optional(),
  from: UserSchema.optional(),
  date: z.number().int().optional(),
};
const SuccessfulPaymentMessage = z.object({ ...messageEnvelope, successful_payment: SuccessfulPaymentSchema });
const RefundedPaymentMessage = z.object({ ...messageEnvelope, refunded_payment: RefundedPaymentSchema });

export type TelegramUpdate =
  | { readonly kind: "pre_checkout_query"; readonly updateId: number; readonly preCheckoutQuery: PreCheckoutQuery }
  | {
      readonly kind: "successful_payment";
      readonly updateId: number;
      readonly from: TelegramUser | undefined;
      readonly successfulPayment: SuccessfulPayment;
    }
  | {
      readonly kind: "refunded_payment";
      readonly updateId: number;
      readonly from: TelegramUser | undefined;
      readonly refundedPayment: RefundedPayment;
    }
  /** A well-formed update of a kind this service does not handle: acknowledged and otherwise ignored. */
  | { readonly kind: "ignored"; readonly updateId: number };

export type InvalidUpdate = {
  readonly type: "InvalidUpdate";
  readonly message: string;
};

const invalid = (what: string, error?: z.ZodError): Result<never, InvalidUpdate> => {
  const detail = error === undefined ? "" : `: ${z.prettifyError(error).replace(/\s*\n\s*/g, "; ")}`;
  return err({ type: "InvalidUpdate", message: `${what}${detail}`.slice(0, invalidUpdateMessageLengthMax) });
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const has = (record: Record<string, unknown>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined;

/** Parse a webhook body into the update kinds this service handles. Anything else with an integer update_id is "ignored". */
export const parseUpdate = (body: unknown): Result<TelegramUpdate, InvalidUpdate> => {
  if (!isRecord(body)) return invalid("The body is not a Telegram update (expected a JSON object)");
  const updateId = UpdateId.safeParse(body.update_id);
  if (!updateId.success) return invalid("The body is not a Telegram update (expected an integer update_id)");
  const id = updateId.data;

  const message = body.message;
  const hasPreCheckout = has(body, "pre_checkout_query");
  const paymentKeys = isRecord(message)
    ? ["successful_payment", "refunded_payment"].filter((key) => has(message, key))
    : [];
  if (has(body, "message") && !isRecord(message)) return invalid(`Update ${id}: message must be an object`);
  if ((hasPreCheckout ? 1 : 0) + paymentKeys.length > 1) {
    return invalid(`Update ${id} carries more than one payment object`);
  }

  if (hasPreCheckout) {
    const query = PreCheckoutQuerySchema.safeParse(body.pre_checkout_query);
    if (!query.success) return invalid(`Update ${id}: invalid pre_checkout_query`, query.error);
    return ok({ kind: "pre_checkout_query", updateId: id, preCheckoutQuery: query.data });
  }
  if (paymentKeys[0] === "successful_payment") {
    const parsed = SuccessfulPaymentMessage.safeParse(message);
    if (!parsed.success) return invalid(`Update ${id}: invalid message.successful_payment`, parsed.error);
    return ok({
      kind: "successful_payment",
      updateId: id,
      from: parsed.data.from,
      successfulPayment: parsed.data.successful_payment,
    });
  }
  if (paymentKeys[0] === "refunded_payment") {
    const parsed = RefundedPaymentMessage.safeParse(message);
    if (!parsed.success) return invalid(`Update ${id}: invalid message.refunded_payment`, parsed.error);
    return ok({
      kind: "refunded_payment",
      updateId: id,
      from: parsed.data.from,
      refundedPayment: parsed.data.refunded_payment,
    });
  }
  return ok({ kind: "ignored", updateId: id });
};
