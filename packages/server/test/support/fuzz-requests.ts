import { createHmac } from "node:crypto";
import { signInitData } from "@starledger/telegram-adapter";
import { jsonText, mutateAll, type JsonObject } from "./fuzz-json.js";
import type { Auth, Body, KnownPayment, PaymentRef, readMethods, Step } from "./fuzz-steps.js";
import { defaultPayerId } from "./updates.js";

/** What a step needs from the running app to become a request. */
export type World = {
  readonly payments: KnownPayment[];
  readonly webhookSecret: string;
  /** AUTH_SECRET and MASTER_BOT_TOKEN, to sign tokens and initData whose claims are odd. */
  readonly authSecret: string;
  readonly botToken: string;
  readonly now: () => Date;
  readonly tokenFor: (userId: number, admin?: boolean) => Promise<string>;
};

export type Request = {
  readonly method: "POST" | (typeof readMethods)[number];
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
};

const paymentOf = (world: World, ref: PaymentRef): KnownPayment => {
  if ("unknown" in ref) return { paymentId: ref.unknown, userId: 42, starsAmount: 10 };
  const payment = world.payments[ref.known % world.payments.length];
  if (payment === undefined) throw new Error("the world holds no payment: seed one");
  return payment;
};

const updateOf = (step: Extract<Step, { route: "webhook" }>, world: World): JsonObject => {
  const payment = paymentOf(world, step.payment);
  const fromId = step.from === "owner" ? payment.userId : step.from === "payer" ? defaultPayerId : step.from;
  const from = { id: fromId, is_bot: false, first_name: "Ada", username: "ada_example", language_code: "en" };
  const invoice = { currency: "XTR", total_amount: payment.starsAmount, invoice_payload: payment.paymentId };
  const charge = {
    ...invoice,
    telegram_payment_charge_id: step.chargeId === "own" ? `stx_${payment.paymentId}` : step.chargeId,
  };
  const message = {
    message_id: 1201,
    from,
    chat: { id: fromId, first_name: "Ada", type: "private" },
    date: 1764115200,
  };
  switch (step.shape) {
    case "pre_checkout_query":
      return {
        update_id: step.updateId,
        pre_checkout_query: { id: `q_${step.updateId}`, from, ...invoice },
      };
    case "successful_payment":
      return {
        update_id: step.updateId,
        message: { ...message, successful_payment: { ...charge, provider_payment_charge_id: "" } },
      };
    case "refunded_payment":
      return { update_id: step.updateId, message: { ...message, refunded_payment: charge } };
    case "runbook":
      return { update_id: step.updateId, message: { successful_payment: charge } };
    case "text":
      return { update_id: step.updateId, message: { ...message, text: "/start" } };
  }
};

/** The body text (or bytes) of `template` sent as `body` says. */
const payloadOf = (template: JsonObject, body: Body): string | Buffer | undefined => {
  switch (body.kind) {
    case "json": {
      const mutated = mutateAll(template, body.mutations);
      return mutated === undefined ? "" : jsonText(mutated);
    }
    case "truncated": {
      const text = jsonText(template);
      return text.slice(0, body.at % text.length);
    }
    case "trailing":
      return jsonText(template) + body.junk;
    case "padded":
      return jsonText({ ...template, padding: "x".repeat(body.bytes) });
    case "value":
      return jsonText(body.value);
    case "text":
      return body.text;
    case "bytes":
      return Buffer.from(body.bytes);
    case "none":
      return undefined;
  }
};

const nowSeconds = (world: World): number => Math.floor(world.now().getTime() / 1000);

/** An HS256 JWT over any claims text, signed as the server signs (jose would refuse to sign odd claims). */
const signedToken = (claims: string, secret: string): string => {
  const signed = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from(claims).toString("base64url")}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
};

const tokenClaims = (world: World, admin: boolean): JsonObject => {
  const now = nowSeconds(world);
  return { sub: "42", iss: "starledger", iat: now, exp: now + 3600, ...(admin ? { role: "admin" } : {}) };
};

const initDataAuthDate = (world: World, authDate: string): string =>
  authDate === "now" ? String(nowSeconds(world)) : authDate;

const authorizationOf = async (given: Auth, world: World): Promise<Record<string, string>> => {
  switch (given.as) {
    case "user":
      return { authorization: `Bearer ${await world.tokenFor(given.userId)}` };
    case "admin":
      return { authorization: `Bearer ${await world.tokenFor(1, true)}` };
    case "none":
      return {};
    case "raw":
      return { authorization: given.value };
    case "signedToken": {
      const claims = mutateAll(tokenClaims(world, given.admin), given.mutations);
      return { authorization: `Bearer ${signedToken(claims === undefined ? "" : jsonText(claims), world.authSecret)}` };
    }
    case "signedInitData": {
      const user = mutateAll(
        { id: 42, first_name: "Ada", username: "ada_example", language_code: "en" },
        given.mutations,
      );
      const fields = {
        query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
        ...(user === undefined ? {} : { user: jsonText(user) }),
        auth_date: initDataAuthDate(world, given.authDate),
      };
      return { authorization: `tma ${signInitData(fields, world.botToken)}` };
    }
  }
};

const optionalHeaders = (headers: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));

const withPayload = (request: Omit<Request, "payload">, payload: string | Buffer | undefined): Request =>
  payload === undefined ? request : { ...request, payload };

/** The request a step sends; undefined for a step that is not a request. */
export const requestOf = async (step: Step, world: World): Promise<Request | undefined> => {
  switch (step.route) {
    case "webhook":
      return withPayload(
        {
          method: "POST",
          url: "/master/webhook",
          headers: optionalHeaders({
            "content-type": step.contentType,
            "x-telegram-bot-api-secret-token": step.secret === "right" ? world.webhookSecret : step.secret,
          }),
        },
        payloadOf(updateOf(step, world), step.body),
      );
    case "create":
    case "adjust": {
      const template =
        step.route === "create" ? { ...step.base } : { userId: step.userId, delta: step.delta, reason: "goodwill" };
      return withPayload(
        {
          method: "POST",
          url: step.route === "create" ? "/api/payments/create" : "/api/credits/admin/adjust",
          headers: {
            ...optionalHeaders({ "content-type": step.contentType, "idempotency-key": step.idempotencyKey }),
            ...(await authorizationOf(step.auth, world)),
          },
        },
        payloadOf(template, step.body),
      );
    }
    case "refund":
      return withPayload(
        {
          method: "POST",
          url: `/api/payments/admin/${paymentOf(world, step.payment).paymentId}/refund`,
          headers: {
            ...optionalHeaders({ "content-type": step.contentType, "idempotency-key": step.idempotencyKey }),
            ...(await authorizationOf(step.auth, world)),
          },
        },
        payloadOf({ reason: "requested" }, step.body),
      );
    case "read": {
      const path = step.path.replace(":id", paymentOf(world, step.payment).paymentId);
      return {
        method: step.method,
        url: step.query === "" ? path : `${path}?${step.query}`,
        headers: await authorizationOf(step.auth, world),
      };
    }
    case "time":
      return undefined;
  }
};
