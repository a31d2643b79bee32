import fc from "fast-check";
import { anyText, mutation, oddValue, percentEncoded, type Json, type JsonObject, type Mutation } from "./fuzz-json.js";
import { configuredAdminId } from "./test-app.js";

// Steps of the fuzz test's stories: real request shapes with fields replaced, removed, added or buried, and the headers,
// query strings and raw bodies around them drawn from what an attacker (or a buggy client) sends.

/** A payment the ledger holds; `paymentRef.known` picks one of them (modulo), `unknown` names one it does not. */
export type KnownPayment = { readonly paymentId: string; readonly userId: number; readonly starsAmount: number };
export type PaymentRef = { readonly known: number } | { readonly unknown: string };

export type Auth =
  | { readonly as: "user"; readonly userId: number }
  | { readonly as: "admin" }
  | { readonly as: "none" }
  | { readonly as: "raw"; readonly value: string }
  /** A bearer token signed with the server's AUTH_SECRET, its claims mutated: the signature holds, the claims may not. */
  | { readonly as: "signedToken"; readonly admin: boolean; readonly mutations: readonly Mutation[] }
  /** Mini App initData signed with the bot token, its user mutated and its auth_date odd. */
  | { readonly as: "signedInitData"; readonly authDate: string; readonly mutations: readonly Mutation[] };

/** How a body is sent: the request's own JSON mutated, cut short, followed by junk, or something else entirely. */
export type Body =
  | { readonly kind: "json"; readonly mutations: readonly Mutation[] }
  | { readonly kind: "truncated"; readonly at: number }
  | { readonly kind: "trailing"; readonly junk: string }
  | { readonly kind: "padded"; readonly bytes: number }
  | { readonly kind: "value"; readonly value: Json }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "none" };

export const updateShapes = [
  "pre_checkout_query",
  "successful_payment",
  "refunded_payment",
  "runbook",
  "text",
] as const;
export const readPaths = [
  "/api/payments/history",
  "/api/credits/balance",
  "/api/payments/admin/list",
  "/api/payments/admin/stats",
  "/api/payments/admin/:id",
  "/api/events",
  "/api/payments/config",
  "/health",
  "/metrics",
] as const;

export const readMethods = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"] as const;

export type Step =
  | {
      readonly route: "webhook";
      readonly shape: (typeof updateShapes)[number];
      readonly updateId: number;
      readonly payment: PaymentRef;
      /** "own": stx_<paymentId>, the charge a seeded payment was paid with; else a shared or a fresh charge id. */
      readonly chargeId: string;
      readonly from: "owner" | "payer" | number;
      readonly body: Body;
      readonly contentType: string | undefined;
      /** "right": the configured WEBHOOK_SECRET. */
      readonly secret: string | undefined;
    }
  | {
      readonly route: "create";
      readonly base: JsonObject;
      readonly body: Body;
      readonly contentType: string | undefined;
      readonly idempotencyKey: string | undefined;
      readonly auth: Auth;
    }
  | {
      readonly route: "adjust";
      readonly userId: number;
      readonly delta: number;
      readonly body: Body;
      readonly contentType: string | undefined;
      readonly idempotencyKey: string | undefined;
      readonly auth: Auth;
    }
  | {
      readonly route: "refund";
      readonly payment: PaymentRef;
      readonly body: Body;
      readonly contentType: string | undefined;
      readonly idempotencyKey: string | undefined;
      readonly auth: Auth;
    }
  | {
      readonly route: "read";
      /** GET mostly; HEAD, which fastify answers on every GET route, and methods no route takes. */
      readonly method: (typeof readMethods)[number];
      readonly path: (typeof readPaths)[number];
      readonly payment: PaymentRef;
      readonly query: string;
      readonly auth: Auth;
    }
  /** The clock moves on and the expiry sweeper takes a turn: payments expire between requests. */
  | { readonly route: "time"; readonly advanceMs: number };

export type Route = Step["route"];

const printable = (excluded: string) =>
  fc.constantFrom(
    ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
      (c) => !excluded.includes(c),
    ),
  );
const printableText = (excluded: string, maxLength = 16) =>
  fc.string({ unit: printable(excluded), minLength: 1, maxLength });

const users = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(42, 43, configuredAdminId) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
);

const rawAuthorization = fc.oneof(
  anyText(40),
  anyText(40).map((text) => `Bearer ${text}`),
  printableText("", 60).map((text) => `tma ${text}`),
  fc.constantFrom("", " ", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "tma ", "tma user=%7B%22id%22%3A1%7D&hash=00"),
  fc.constantFrom(
    // Signed with another key; alg=none claiming the admin role.
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl",
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9.",
  ),
);

/** Mostly the audience the route is for, so requests get past auth and reach the ledger. */
const auth = (audience: "user" | "admin"): fc.Arbitrary<Auth> =>
  fc.oneof(
    {
      weight: 16,
      arbitrary:
        audience === "admin"
          ? fc.constant<Auth>({ as: "admin" })
          : users.map((userId): Auth => ({ as: "user", userId })),
    },
    { weight: 1, arbitrary: users.map((userId): Auth => ({ as: "user", userId })) },
    { weight: 1, arbitrary: fc.constant<Auth>({ as: "admin" }) },
    { weight: 1, arbitrary: fc.constant<Auth>({ as: "none" }) },
    { weight: 2, arbitrary: rawAuthorization.map((value): Auth => ({ as: "raw", value })) },
    {
      weight: 1,
      arbitrary: fc.record({
        as: fc.constant("signedToken"),
        admin: fc.constant(audience === "admin"),
        mutations: fc.array(mutation, { maxLength: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        as: fc.constant("signedInitData"),
        // "now", or seconds since 1970 as text: long past, in the future, or not a number at all.
        authDate: fc.oneof(
          { weight: 3, arbitrary: fc.constant("now") },
          { weight: 1, arbitrary: fc.constantFrom("1", "0", "-1", "1e9", "99999999999", "9007199254740993", "", "x") },
        ),
        mutations: fc.array(mutation, { maxLength: 2 }),
      }),
    },
  );

const contentType = (usual: "application/json" | undefined) =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constant<string | undefined>(usual) },
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        "application/json",
        "",
        "application/json; charset=utf-8",
        "application/json; charset=utf-16le",
        "application/json;",
        "APPLICATION/JSON",
        "application/jsonx",
        "application/json, text/plain",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
      ),
    },
    { weight: 1, arbitrary: anyText(30) },
  );

const idempotencyKey = fc.oneof(
  { weight: 10, arbitrary: fc.constant<string | undefined>(undefined) },
  // Shared keys: a later request replays or conflicts with an earlier one.
  { weight: 3, arbitrary: fc.constantFrom<string | undefined>("k1", "k2") },
  { weight: 1, arbitrary: printableText("", 200) },
  // "k1, k2" is how Node joins a header sent twice.
  { weight: 1, arbitrary: fc.constantFrom("", " ", "k 1", "k1, k2", "x".repeat(200), "x".repeat(201)) },
  { weight: 1, arbitrary: anyText(20) },
);

const paymentRef: fc.Arbitrary<PaymentRef> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((known): PaymentRef => ({ known })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.uuid(), printableText("/?#", 70), fc.uint8Array({ minLength: 1, maxLength: 8 }).map(percentEncoded))
      .map((unknown): PaymentRef => ({ unknown })),
  },
);

const body = (mutationsMax: number): fc.Arbitrary<Body> =>
  fc.oneof(
    // As it is about half the time, so that a run reaches the ledger and proves a 2xx may change it.
    { weight: 20, arbitrary: fc.constant<Body>({ kind: "json", mutations: [] }) },
    {
      weight: 10,
      arbitrary: fc
        .array(mutation, { minLength: 1, maxLength: mutationsMax })
        .map((mutations): Body => ({ kind: "json", mutations })),
    },
    { weight: 1, arbitrary: fc.nat().map((at): Body => ({ kind: "truncated", at })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(anyText(8), fc.constantFrom(",", "}", "]", " x", "\u0000", "{}"))
        .map((junk): Body => ({ kind: "trailing", junk })),
    },
    { weight: 1, arbitrary: fc.constantFrom(65_536, 70_000).map((bytes): Body => ({ kind: "padded", bytes })) },
    { weight: 2, arbitrary: oddValue.map((value): Body => ({ kind: "value", value })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          anyText(40),
          fc.constantFrom(
            "",
            " ",
            "null",
            "NaN",
            "{'a':1}",
            '{"a":1,}',
            "\ufeff{}",
            "[".repeat(100),
            '{"a":'.repeat(70),
          ),
        )
        .map((text): Body => ({ kind: "text", text })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes): Body => ({ kind: "bytes", bytes })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: "none" }) },
  );

export const webhookStep: fc.Arbitrary<Step> = fc.record({
  route: fc.constant("webhook"),
  shape: fc.constantFrom(...updateShapes),
  updateId: fc.oneof(fc.nat(), fc.constant(710_000_001)),
  payment: paymentRef,
  chargeId: fc.oneof(fc.constantFrom("own", "charge-a", "charge-b"), printableText("", 40)),
  from: fc.oneof(fc.constantFrom<"owner" | "payer">("owner", "payer"), users),
  body: body(3),
  contentType: contentType("application/json"),
  secret: fc.oneof(
    { weight: 20, arbitrary: fc.constant<string | undefined>("right") },
    { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 2, arbitrary: fc.oneof(anyText(20), printableText("", 300), fc.constantFrom("", "right ", "RIGHT")) },
  ),
});

export const createStep: fc.Arbitrary<Step> = fc.record({
  route: fc.constant("create"),
  base: fc.constantFrom<JsonObject>(
    { starsAmount: 10 },
    { starsAmount: 100 },
    { packageId: "pkg_250" },
    { packageId: "pkg_500", starsAmount: 50 },
  ),
  body: body(2),
  contentType: contentType("application/json"),
  idempotencyKey,
  auth: auth("user"),
});

export const adjustStep: fc.Arbitrary<Step> = fc.record({
  route: fc.constant("adjust"),
  userId: users,
  delta: fc.integer({ min: -200, max: 200 }),
  body: body(2),
  contentType: contentType("application/json"),
  idempotencyKey,
  auth: auth("admin"),
});

export const refundStep: fc.Arbitrary<Step> = fc.record({
  route: fc.constant("refund"),
  payment: paymentRef,
  body: fc.oneof({ weight: 6, arbitrary: fc.constant<Body>({ kind: "none" }) }, { weight: 1, arbitrary: body(1) }),
  // The refund takes no body: usually none is sent, and then no Content-Type either.
  contentType: contentType(undefined),
  idempotencyKey,
  auth: auth("admin"),
});

const queryName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("cursor", "limit", "status", "userId", "from", "to", "after") },
  { weight: 1, arbitrary: fc.constantFrom("", "limit[]", "__proto__", "constructor", "hasOwnProperty") },
  { weight: 1, arbitrary: printableText("#&=", 8) },
);

const queryValue = fc.oneof(
  fc.oneof(fc.integer(), fc.bigInt(), fc.double()).map(String),
  fc.constantFrom(
    ...["0", "1", "-1", "100", "101", "10000", "10001", "9007199254740991", "9007199254740992"],
    ...["9223372036854775807", "9223372036854775808", "99999999999999999999", "1e3", "0x10", "+1", "%201", "1%20"],
    ...["1.0", "%D9%A1", "", "NaN", "Infinity", "null", "true"],
  ),
  fc.constantFrom(
    ...["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000%2B02:00", "2026-13-01T00:00:00Z", "2026-01-01"],
    ...["0000-01-01T00:00:00Z", "%2B275760-09-13T00:00:00Z", "2026-02-30T25:61:00Z", "1970-01-01T00:00:00-00:00"],
  ),
  fc.date().map((date) => (Number.isNaN(date.getTime()) ? "Invalid%20Date" : encodeURIComponent(date.toISOString()))),
  fc.constantFrom("PENDING", "PAID", "FAILED", "REFUNDED", "EXPIRED", "paid", "PAID%20", "PENDING,PAID"),
  fc.uint8Array({ maxLength: 12 }).map(percentEncoded),
  fc.constantFrom("%", "%G1", "%E2%82", "%%", "%0", "%ED%A0%80", "%00", "%C0%80", "%FF%FE"),
  printableText("#", 20),
);

/** A query string: names repeat, values are whatever a client sends, a pair may lack its `=`. */
const queryString: fc.Arbitrary<string> = fc
  .array(fc.tuple(queryName, fc.option(queryValue, { nil: undefined, freq: 8 })), { maxLength: 5 })
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join("&"));

export const readStep: fc.Arbitrary<Step> = fc.constantFrom(...readPaths).chain((path) =>
  fc.record({
    route: fc.constant("read"),
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant<(typeof readMethods)[number]>("GET") },
      { weight: 1, arbitrary: fc.constantFrom(...readMethods) },
    ),
    path: fc.constant(path),
    payment: paymentRef,
    query: queryString,
    auth: auth(path.includes("/admin/") || path === "/api/events" ? "admin" : "user"),
  }),
);

export const timeStep: fc.Arbitrary<Step> = fc.record({
  route: fc.constant("time"),
  advanceMs: fc.constantFrom(60_000, 60 * 60_000, 25 * 60 * 60_000),
});
