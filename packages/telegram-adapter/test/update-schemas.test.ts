import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseUpdate } from "../src/index.js";
import { fixture, runbookSimulatedPayment, type FixtureName } from "./support/fixtures.js";

const paymentId = randomUUID();

const invalidMessage = (body: unknown): string => {
  const parsed = parseUpdate(body);
  if (parsed.isOk()) throw new Error(`expected an invalid update, got ${parsed.value.kind}`);
  expect(parsed.error.type).toBe("InvalidUpdate");
  return parsed.error.message;
};

describe("parseUpdate on the sample updates", () => {
  it("reads a pre_checkout_query with its query id, payer, amount and payload", () => {
    const parsed = parseUpdate(fixture("pre_checkout_query", paymentId))._unsafeUnwrap();
    expect(parsed).toEqual({
      kind: "pre_checkout_query",
      updateId: 710000001,
      preCheckoutQuery: {
        id: "4382651957285316001",
        from: { id: 512345678, isBot: false, firstName: "Ada", username: "ada_example", languageCode: "en" },
        currency: "XTR",
        totalAmount: 10,
        invoicePayload: paymentId,
      },
    });
  });

  it("reads message.successful_payment with both charge ids and the sender", () => {
    const parsed = parseUpdate(fixture("successful_payment", paymentId))._unsafeUnwrap();
    expect(parsed).toEqual({
      kind: "successful_payment",
      updateId: 710000002,
      from: { id: 512345678, isBot: false, firstName: "Ada", username: "ada_example", languageCode: "en" },
      successfulPayment: {
        currency: "XTR",
        totalAmount: 10,
        invoicePayload: paymentId,
        telegramPaymentChargeId: "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        providerPaymentChargeId: "",
      },
    });
  });

  it("accepts the runbook's simulated message with only successful_payment (no from, chat, date or provider charge id)", () => {
    const parsed = parseUpdate(runbookSimulatedPayment(paymentId))._unsafeUnwrap();
    expect(parsed).toEqual({
      kind: "successful_payment",
      updateId: 123,
      from: undefined,
      successfulPayment: {
        currency: "XTR",
        totalAmount: 10,
        invoicePayload: paymentId,
        telegramPaymentChargeId: "test_charge_123",
        providerPaymentChargeId: "",
      },
    });
  });

  it("reads message.refunded_payment", () => {
    const parsed = parseUpdate(fixture("refunded_payment", paymentId))._unsafeUnwrap();
    expect(parsed).toMatchObject({
      kind: "refunded_payment",
      updateId: 710000003,
      from: { id: 512345678 },
      refundedPayment: {
        currency: "XTR",
        totalAmount: 10,
        invoicePayload: paymentId,
        telegramPaymentChargeId: "stxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      },
    });
  });

  it("marks a text message as ignored, keeping its update_id", () => {
    expect(parseUpdate(fixture("text_message"))._unsafeUnwrap()).toEqual({ kind: "ignored", updateId: 710000004 });
  });

  it("marks any other well-formed update kind as ignored", () => {
    expect(parseUpdate({ update_id: 5, callback_query: { id: "x" } })._unsafeUnwrap()).toEqual({
      kind: "ignored",
      updateId: 5,
    });
    expect(parseUpdate({ update_id: 6 })._unsafeUnwrap()).toEqual({ kind: "ignored", updateId: 6 });
  });

  it("keeps parsing when Telegram adds fields it did not have before", () => {
    const update = fixture("successful_payment", paymentId) as {
      message: { successful_payment: Record<string, unknown> };
    };
    update.message.successful_payment.subscription_expiration_date = 1764200000;
    update.message.successful_payment.is_recurring = true;
    expect(parseUpdate(update)._unsafeUnwrap().kind).toBe("successful_payment");
  });
});

describe("parseUpdate refuses what is not an update", () => {
  it.each([
    ["null", null],
    ["a string", "update"],
    ["an array", [{ update_id: 1 }]],
    ["an object without update_id", { message: { text: "hi" } }],
    ["a string update_id", { update_id: "1" }],
    ["a fractional update_id", { update_id: 1.5 }],
    ["a negative update_id", { update_id: -1 }],
    ["a message that is not an object", { update_id: 1, message: "hello" }],
  ])("refuses %s", (_, body) => {
    expect(invalidMessage(body)).toMatch(/not a Telegram update|message must be an object/);
  });

  it("refuses a pre_checkout_query without a payer", () => {
    const update = fixture("pre_checkout_query", paymentId) as { pre_checkout_query: Record<string, unknown> };
    delete update.pre_checkout_query.from;
    expect(invalidMessage(update)).toContain("pre_checkout_query");
  });

  it("refuses a successful_payment without telegram_payment_charge_id", () => {
    const update = fixture("successful_payment", paymentId) as {
      message: { successful_payment: Record<string, unknown> };
    };
    delete update.message.successful_payment.telegram_payment_charge_id;
    expect(invalidMessage(update)).toContain("telegram_payment_charge_id");
  });

  it("refuses a total_amount that is a string, a fraction or zero", () => {
    for (const amount of ["10", 10.5, 0]) {
      const update = fixture("successful_payment", paymentId) as {
        message: { successful_payment: Record<string, unknown> };
      };
      update.message.successful_payment.total_amount = amount;
      expect(invalidMessage(update)).toContain("total_amount");
    }
  });

  it("refuses a payer id that is not a positive integer", () => {
    const update = fixture("pre_checkout_query", paymentId) as {
      pre_checkout_query: { from: Record<string, unknown> };
    };
    update.pre_checkout_query.from.id = "512345678";
    expect(invalidMessage(update)).toContain("from.id");
  });

  it("refuses an invoice_payload over Telegram's 128 bytes, counting bytes not characters", () => {
    const update = fixture("pre_checkout_query", "é".repeat(65)); // 130 bytes, 65 characters
    expect(invalidMessage(update)).toContain("128 bytes");
    expect(parseUpdate(fixture("pre_checkout_query", "é".repeat(64)))._unsafeUnwrap().kind).toBe("pre_checkout_query");
  });

  it("refuses an oversize charge id and an empty one", () => {
    for (const chargeId of ["x".repeat(257), ""]) {
      const update = fixture("successful_payment", paymentId) as {
        message: { successful_payment: Record<string, unknown> };
      };
      update.message.successful_payment.telegram_payment_charge_id = chargeId;
      expect(invalidMessage(update)).toContain("telegram_payment_charge_id");
    }
  });

  it("refuses an oversize first_name", () => {
    const update = fixture("successful_payment", paymentId) as { message: { from: Record<string, unknown> } };
    update.message.from.first_name = "A".repeat(257);
    expect(invalidMessage(update)).toContain("first_name");
  });

  it("refuses an update carrying both a pre_checkout_query and a payment message", () => {
    const body = {
      ...fixture("pre_checkout_query", paymentId),
      message: (fixture("successful_payment", paymentId) as { message: unknown }).message,
    };
    expect(invalidMessage(body)).toContain("more than one payment object");
  });

  it("bounds the error message whatever the body", () => {
    const update = fixture("pre_checkout_query", paymentId) as { pre_checkout_query: Record<string, unknown> };
    update.pre_checkout_query.invoice_payload = "x".repeat(100_000);
    expect(invalidMessage(update).length).toBeLessThanOrEqual(1000);
  });
});

/** Sets the string at `path` (dot-separated) in a copy of `body`. */
const withText = (body: Record<string, unknown>, path: string, text: string): Record<string, unknown> => {
  const copy = structuredClone(body);
  const keys = path.split(".");
  const last = keys.pop() ?? "";
  let at: Record<string, unknown> = copy;
  for (const key of keys) at = at[key] as Record<string, unknown>;
  at[last] = text;
  return copy;
};

describe("parseUpdate refuses text that is not well-formed, in every string it reads", () => {
  const fieldsRead: [FixtureName, string][] = [
    ...["id", "currency", "invoice_payload", "from.first_name", "from.username", "from.language_code"].map(
      (path): [FixtureName, string] => ["pre_checkout_query", `pre_checkout_query.${path}`],
    ),
    ...["successful_payment", "refunded_payment"].flatMap((kind) =>
      [
        `${kind}.currency`,
        `${kind}.invoice_payload`,
        `${kind}.telegram_payment_charge_id`,
        `${kind}.provider_payment_charge_id`,
        "from.first_name",
        "from.username",
        "from.language_code",
      ].map((path): [FixtureName, string] => [kind as FixtureName, `message.${path}`]),
    ),
  ];
  const cases = fieldsRead.flatMap(([kind, path]) =>
    (
      [
        ["a lone surrogate", "c\ud800"],
        ["NUL", "c\u0000"],
      ] as const
    ).map(([what, text]) => [kind, path, what, text] as const),
  );

  it.each(cases)("%s: %s with %s", (kind, path, _what, text) => {
    // Sent as JSON text with the escape in it, as an attacker would; JSON.parse makes the lone surrogate.
    const body = JSON.parse(JSON.stringify(withText(fixture(kind, paymentId), path, text))) as unknown;
    const message = invalidMessage(body);
    expect(message).toContain("must be well-formed Unicode text without NUL");
    // The message names the field within the object it reports on (pre_checkout_query, message).
    expect(message).toContain(`at ${path.split(".").slice(1).join(".")}`);
  });
});
