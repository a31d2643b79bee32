import { signInitData } from "@starledger/telegram-adapter";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { issueToken } from "@starledger/http-adapter";
import {
  configuredAdminId,
  expectError,
  startTestApp,
  testAuthSecret,
  testBotToken,
  type TestApp,
} from "./support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const hourMs = 60 * 60 * 1000;
const balance = (authorization: string) => t.call("GET", "/api/credits/balance", { authorization });

const initDataFor = (userId: number, authDate = new Date(), botToken = testBotToken): string =>
  signInitData(
    {
      query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
      user: JSON.stringify({ id: userId, first_name: "Ada", username: "ada_example" }),
      auth_date: String(Math.floor(authDate.getTime() / 1000)),
    },
    botToken,
  );

describe("bearer tokens", () => {
  it("a token signed with AUTH_SECRET authenticates its subject", async () => {
    const token = await issueToken({ userId: 42, admin: false, ttlMs: hourMs }, testAuthSecret);
    const res = await balance(`Bearer ${token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ userId: 42, credits: 0 });
  });

  it("a missing Authorization header answers 401", async () => {
    expect(expectError(await t.call("GET", "/api/credits/balance"), 401, "Unauthorized").message).toMatch(
      /Missing Authorization header/,
    );
  });

  it("a token signed with another secret answers 401", async () => {
    const token = await issueToken(
      { userId: 42, admin: true, ttlMs: hourMs },
      "another-secret-0123456789-abcdefghijklmnop",
    );
    expectError(await balance(`Bearer ${token}`), 401, "Unauthorized");
  });

  it("garbage, an unknown scheme and a bare token answer 401", async () => {
    for (const header of [
      "Bearer not.a.jwt",
      "Basic dXNlcjpwYXNz",
      await issueToken({ userId: 42, admin: false, ttlMs: hourMs }, testAuthSecret),
    ]) {
      expectError(await balance(header), 401, "Unauthorized");
    }
  });

  it("an expired token answers 401 'Token expired'", async () => {
    const token = await issueToken(
      { userId: 42, admin: false, ttlMs: 1_000, now: new Date(Date.now() - 2 * hourMs) },
      testAuthSecret,
    );
    expect(expectError(await balance(`Bearer ${token}`), 401, "Unauthorized").message).toBe("Token expired");
  });

  it("a token without exp, or whose subject is not a user id, answers 401", async () => {
    const key = new TextEncoder().encode(testAuthSecret);
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("42").sign(key);
    const badSub = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("admin")
      .setExpirationTime("1h")
      .sign(key);
    expectError(await balance(`Bearer ${noExp}`), 401, "Unauthorized");
    expectError(await balance(`Bearer ${badSub}`), 401, "Unauthorized");
  });

  describe("lifetime and issuer", () => {
    const key = new TextEncoder().encode(testAuthSecret);
    const nowSeconds = () => Math.floor(Date.now() / 1000);
    const daySeconds = 24 * 60 * 60;
    const sign = (claims: { iss?: string; iat?: number; exp: number }) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("42").setExpirationTime(claims.exp);
      if (claims.iss !== undefined) jwt.setIssuer(claims.iss);
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      return jwt.sign(key);
    };

    it("a token issued for longer than 365 days answers 401 naming the limit, with or without iat", async () => {
      const now = nowSeconds();
      const tenYears = now + 10 * 365 * daySeconds;
      for (const claims of [
        { iss: "starledger", iat: now, exp: tenYears },
        { iss: "starledger", exp: tenYears },
        { iss: "starledger", iat: now - 200 * daySeconds, exp: now + 200 * daySeconds },
        // A future iat cannot hide a far exp.
        { iss: "starledger", iat: tenYears - daySeconds, exp: tenYears },
      ]) {
        const body = expectError(await balance(`Bearer ${await sign(claims)}`), 401, "Unauthorized");
        expect(body.message, JSON.stringify(claims)).toBe("Token lifetime exceeds 365 days");
      }
    });

    it("a token of exactly 365 days, the longest the CLI issues, is accepted", async () => {
      const now = nowSeconds();
      const token = await sign({ iss: "starledger", iat: now, exp: now + 365 * daySeconds });
      expect((await balance(`Bearer ${token}`)).statusCode).toBe(200);
    });

    it("a token without the starledger issuer, or with another, answers 401", async () => {
      const exp = nowSeconds() + 3600;
      for (const iss of [undefined, "someone-else"]) {
        const body = expectError(
          await balance(`Bearer ${await sign({ exp, ...(iss === undefined ? {} : { iss }) })}`),
          401,
        );
        expect(body.message, String(iss)).toBe("Token iss claim is missing or invalid");
      }
    });
  });
});

describe("bearer tokens: the algorithm", () => {
  it("a token with alg none is refused", async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "none" })}.${encode({ sub: "42", role: "admin", exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
    expectError(
      await t.call("GET", "/api/payments/admin/list", { authorization: `Bearer ${unsigned}` }),
      401,
      "Unauthorized",
    );
  });
});

describe("admin access", () => {
  it("a user token on an admin route answers 403; role admin answers 200", async () => {
    expectError(await t.call("GET", "/api/payments/admin/stats", { user: 42 }), 403, "Forbidden");
    expect((await t.call("GET", "/api/payments/admin/stats", { user: 42, admin: true })).statusCode).toBe(200);
  });

  it("a user in ADMIN_USER_IDS is an admin without the role claim", async () => {
    expect((await t.call("GET", "/api/payments/admin/stats", { user: configuredAdminId })).statusCode).toBe(200);
  });

  it("a user in ADMIN_USER_IDS signed in with Mini App initData is an admin", async () => {
    expect(
      (await t.call("GET", "/api/payments/admin/stats", { authorization: `tma ${initDataFor(configuredAdminId)}` }))
        .statusCode,
    ).toBe(200);
    expectError(
      await t.call("GET", "/api/payments/admin/stats", { authorization: `tma ${initDataFor(42)}` }),
      403,
      "Forbidden",
    );
  });
});

describe("Telegram Mini App initData (tma)", () => {
  it("initData signed with the bot token authenticates its user, and that user can create a payment", async () => {
    const authorization = `tma ${initDataFor(512345678)}`;
    const res = await balance(authorization);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ userId: 512345678, credits: 0 });
    const created = await t.call("POST", "/api/payments/create", { authorization, body: { starsAmount: 10 } });
    expect(created.statusCode).toBe(201);
    expect(t.paymentView(created.json<{ paymentId: string }>().paymentId)?.userId).toBe(512345678);
  });

  it("tampered initData (another user id under the same hash) answers 401", async () => {
    const tampered = initDataFor(512345678).replace(encodeURIComponent('"id":512345678'), encodeURIComponent('"id":1'));
    expect(tampered).not.toBe(initDataFor(512345678));
    expect(expectError(await balance(`tma ${tampered}`), 401, "Unauthorized").message).toMatch(/Invalid initData/);
  });

  it("initData signed with another bot's token answers 401", async () => {
    expectError(
      await balance(`tma ${initDataFor(42, new Date(), "654321:ZYX-DEF1234ghIkl-zyx57W2v1u123ew11")}`),
      401,
      "Unauthorized",
    );
  });

  it("initData older than INIT_DATA_MAX_AGE answers 401", async () => {
    expectError(await balance(`tma ${initDataFor(42, new Date(Date.now() - 2 * hourMs))}`), 401, "Unauthorized");
  });

  it("without MASTER_BOT_TOKEN, tma is refused with 401", async () => {
    const noToken = await startTestApp({ env: { MASTER_BOT_TOKEN: "" } });
    try {
      expect(
        expectError(await noToken.call("GET", "/api/credits/balance", { authorization: `tma ${initDataFor(42)}` }), 401)
          .message,
      ).toMatch(/MASTER_BOT_TOKEN/);
    } finally {
      await noToken.close();
    }
  });
});

describe("public routes need no auth", () => {
  it("config, health, ready, metrics, openapi and the webhook answer without a token", async () => {
    for (const url of ["/api/payments/config", "/health", "/ready", "/metrics", "/openapi.json"]) {
      expect((await t.call("GET", url)).statusCode, url).toBe(200);
    }
    expect((await t.webhookPost({ update_id: 1 })).statusCode).toBe(200);
  });
});
