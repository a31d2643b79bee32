import { allEvents } from "@starledger/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, startTestApp, type TestApp } from "./support/test-app.js";
import { successfulPaymentUpdate } from "./support/updates.js";

const wellFormedMessage = "must be well-formed Unicode text without NUL";

/** How each bad text reaches the server: escaped in JSON text, percent-encoded in a URL, raw in a header. */
const badTexts = [
  { what: "a lone surrogate", json: "\\ud800", url: "%ED%A0%80", header: "k\ud800" },
  { what: "NUL", json: "\\u0000", url: "%00", header: "k\u0000" },
] as const;
type BadText = (typeof badTexts)[number];

type Request = {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** Raw JSON text, so the escape reaches JSON.parse as an attacker sends it. */
  readonly payload?: string;
};

type EdgeCase = {
  readonly where: string;
  readonly request: (bad: BadText, auth: { user: string; admin: string }) => Request;
  /** Free text: the refusal names the rule. Enums, numbers and dates are refused as what they are not. */
  readonly namesTheRule: boolean;
};

const jsonHeaders = { "content-type": "application/json" };

const cases: EdgeCase[] = [
  {
    where: "body packageId (create)",
    request: (bad, auth) => ({
      method: "POST",
      url: "/api/payments/create",
      headers: { ...jsonHeaders, authorization: auth.user },
      payload: `{"packageId":"pkg_100${bad.json}"}`,
    }),
    namesTheRule: true,
  },
  {
    where: "body reason (admin adjust)",
    request: (bad, auth) => ({
      method: "POST",
      url: "/api/credits/admin/adjust",
      headers: { ...jsonHeaders, authorization: auth.admin },
      payload: `{"userId":42,"delta":5,"reason":"goodwill${bad.json}"}`,
    }),
    namesTheRule: true,
  },
  {
    where: "body telegram_payment_charge_id (webhook)",
    request: (bad) => ({
      method: "POST",
      url: "/master/webhook",
      headers: jsonHeaders,
      payload: JSON.stringify(successfulPaymentUpdate("no-such-payment", { chargeId: "c" })).replace(
        '"telegram_payment_charge_id":"c"',
        `"telegram_payment_charge_id":"c${bad.json}"`,
      ),
    }),
    namesTheRule: true,
  },
  {
    where: "header Idempotency-Key",
    request: (bad, auth) => ({
      method: "POST",
      url: "/api/payments/create",
      headers: { ...jsonHeaders, authorization: auth.user, "idempotency-key": bad.header },
      payload: '{"starsAmount":10}',
    }),
    namesTheRule: true,
  },
  {
    where: "header X-Telegram-Bot-Api-Secret-Token",
    request: (bad) => ({
      method: "POST",
      url: "/master/webhook",
      headers: { ...jsonHeaders, "x-telegram-bot-api-secret-token": bad.header },
      payload: JSON.stringify(successfulPaymentUpdate("no-such-payment")),
    }),
    namesTheRule: true,
  },
  {
    where: "header Authorization (user route)",
    request: (bad, auth) => ({
      method: "GET",
      url: "/api/payments/history",
      headers: { authorization: `${auth.user}${bad.header}` },
    }),
    namesTheRule: true,
  },
  {
    where: "header Authorization (admin route)",
    request: (bad, auth) => ({
      method: "POST",
      url: "/api/credits/admin/adjust",
      headers: { ...jsonHeaders, authorization: `${auth.admin}${bad.header}` },
      payload: '{"userId":42,"delta":5,"reason":"goodwill"}',
    }),
    namesTheRule: true,
  },
  ...["cursor", "limit"].map((name): EdgeCase => ({
    where: `query ${name} (history)`,
    request: (bad, auth) => ({
      method: "GET",
      url: `/api/payments/history?${name}=1${bad.url}`,
      headers: { authorization: auth.user },
    }),
    namesTheRule: name === "cursor",
  })),
  ...["cursor", "limit", "status", "userId", "from", "to"].map((name): EdgeCase => ({
    where: `query ${name} (admin list)`,
    request: (bad, auth) => ({
      method: "GET",
      url: `/api/payments/admin/list?${name}=1${bad.url}`,
      headers: { authorization: auth.admin },
    }),
    namesTheRule: name === "cursor",
  })),
  ...["from", "to"].map((name): EdgeCase => ({
    where: `query ${name} (admin stats)`,
    request: (bad, auth) => ({
      method: "GET",
      url: `/api/payments/admin/stats?${name}=2026-01-01T00:00:00Z${bad.url}`,
      headers: { authorization: auth.admin },
    }),
    namesTheRule: false,
  })),
  ...["after", "limit"].map((name): EdgeCase => ({
    where: `query ${name} (events feed)`,
    request: (bad, auth) => ({
      method: "GET",
      url: `/api/events?${name}=1${bad.url}`,
      headers: { authorization: auth.admin },
    }),
    namesTheRule: false,
  })),
  {
    where: "path id (admin payment)",
    request: (bad, auth) => ({
      method: "GET",
      url: `/api/payments/admin/p${bad.url}`,
      headers: { authorization: auth.admin },
    }),
    namesTheRule: true,
  },
  {
    where: "path id (admin refund)",
    request: (bad, auth) => ({
      method: "POST",
      url: `/api/payments/admin/p${bad.url}/refund`,
      headers: { authorization: auth.admin },
    }),
    namesTheRule: true,
  },
];

const injected = (request: Request) => ({
  method: request.method,
  url: request.url,
  ...(request.headers === undefined ? {} : { headers: request.headers }),
  ...(request.payload === undefined ? {} : { payload: request.payload }),
});

let t: TestApp;
let auth: { user: string; admin: string };
beforeAll(async () => {
  t = await startTestApp();
  auth = { user: `Bearer ${await t.tokenFor(42)}`, admin: `Bearer ${await t.tokenFor(1, true)}` };
  // A paid payment, so the ledger is not empty and the read routes have something to show.
  await t.pay(await t.createPayment(42));
});
afterAll(async () => {
  await t.close();
});

describe("text that is not well-formed Unicode, or holds NUL, is refused at every edge with a 400 and no trace", () => {
  const table = cases.flatMap((edge) => badTexts.map((bad) => [edge.where, bad.what, edge, bad] as const));

  it.each(table)("%s with %s", async (_where, _what, edge, bad) => {
    const before = await allEvents(t.memory);
    const request = edge.request(bad, auth);
    const res = await t.app.inject(injected(request));
    const body = expectError(res, 400);
    // The project's own refusals, never a framework's default answer.
    expect(["InvalidRequest", "InvalidUpdate", "InvalidPageRequest"]).toContain(body.error);
    // Percent-decoding cannot make a lone surrogate (%ED%A0%80 is not UTF-8): the query keeps it undecoded and the
    // router refuses such a path, so it is refused as the bad value it is, not as text.
    const named = edge.namesTheRule && !(bad.what === "a lone surrogate" && request.url.includes(bad.url));
    if (named) expect(body.message).toContain(wellFormedMessage);
    expect(await allEvents(t.memory)).toEqual(before);
  });

  it("the same requests with well-formed text are accepted, so the table tests the text and nothing else", async () => {
    const fine = { what: "nothing bad", json: "", url: "", header: "k" } as unknown as BadText;
    for (const where of ["body reason (admin adjust)", "header Idempotency-Key"]) {
      const edge = cases.find((c) => c.where === where);
      if (edge === undefined) throw new Error(`no case ${where}`);
      const res = await t.app.inject(injected(edge.request(fine, auth)));
      expect(res.statusCode, res.body).toBe(201);
    }
  });
});
