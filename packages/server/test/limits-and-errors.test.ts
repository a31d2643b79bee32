import { maxHeaderSize } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allEvents } from "@starledger/core/testing";
import { createBotApi } from "@starledger/telegram-adapter";
import { FakeBotApiServer } from "@starledger/telegram-adapter/testing";
import { eventually, fetchJson } from "./support/http-client.js";
import { parseRawResponse, SlowClient } from "./support/slow-client.js";
import { expectError, startTestApp, testBotToken, type TestApp } from "./support/test-app.js";

let t: TestApp;
let authorization: string;
beforeEach(async () => {
  t = await startTestApp();
  authorization = `Bearer ${await t.tokenFor(42)}`;
});
afterEach(async () => {
  await t.close();
});

const rawPost = (url: string, payload: string, headers: Record<string, string>) =>
  t.app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json", ...headers } });

describe("request limits", () => {
  it("a body over 64 KiB answers 413 and records nothing", async () => {
    const payload = JSON.stringify({ starsAmount: 10, padding: "x".repeat(64 * 1024) });
    const body = expectError(await rawPost("/api/payments/create", payload, { authorization }), 413, "PayloadTooLarge");
    expect(body.message).toContain("65536");
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it("a body just under 64 KiB is read (and then refused by the schema, not the size)", async () => {
    const payload = JSON.stringify({ starsAmount: 10, padding: "x".repeat(60 * 1024) });
    expectError(await rawPost("/api/payments/create", payload, { authorization }), 400, "InvalidRequest");
  });

  it("malformed JSON answers 400 with a message, on the API and on the webhook", async () => {
    const api = expectError(
      await rawPost("/api/payments/create", '{"starsAmount": 10', { authorization }),
      400,
      "InvalidRequest",
    );
    expect(api.message).toBe("Malformed JSON body");
    expect(expectError(await rawPost("/master/webhook", "{update_id:", {}), 400).message).toBe("Malformed JSON body");
  });

  it("an empty JSON body answers 400", async () => {
    expectError(await rawPost("/api/payments/create", "", { authorization }), 400);
  });

  it("a body that is not JSON answers 415 with {error, message}", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/payments/create",
      payload: "starsAmount=10",
      headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    });
    expectError(res, 415, "UnsupportedMediaType");
  });
});

describe("bodies that are not plain JSON objects", () => {
  it("a text/plain body on a JSON route answers 415 in the {error, message} shape, and records nothing", async () => {
    for (const url of ["/api/payments/create", "/master/webhook"]) {
      const res = await t.app.inject({
        method: "POST",
        url,
        payload: '{"starsAmount": 10}',
        headers: { authorization, "content-type": "text/plain" },
      });
      const body = expectError(res, 415, "UnsupportedMediaType");
      expect(body.message).toContain("application/json");
    }
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it('a "__proto__" key in valid JSON answers 400 saying the key is not allowed, not "Malformed JSON"', async () => {
    for (const payload of ['{"starsAmount": 10, "__proto__": {"admin": true}}', '{"a": [{"\\u005f_proto__": 1}]}']) {
      const body = expectError(
        await rawPost("/api/payments/create", payload, { authorization }),
        400,
        "InvalidRequest",
      );
      expect(body.message, payload).toBe('The key "__proto__" is not allowed in a JSON body');
    }
    const ctor = expectError(
      await rawPost("/master/webhook", '{"update_id": 1, "constructor": {"prototype": {}}}', {}),
      400,
      "InvalidRequest",
    );
    expect(ctor.message).toContain('"constructor"');
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it("a webhook body nested deeper than 64 levels is refused with 400 before it is parsed", async () => {
    const depth = 500_000; // just under the webhook's 1 MiB body limit
    const deep = `{"update_id": 1, "message": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
    expect(deep.length).toBeGreaterThan(1024 * 1024 - 64 * 1024);
    const body = expectError(await rawPost("/master/webhook", deep, {}), 400, "InvalidRequest");
    expect(body.message).toBe("JSON body nested deeper than 64 levels");
    expect(await allEvents(t.memory)).toHaveLength(0);
  });

  it("nesting up to 64 levels is parsed, and brackets inside strings do not count", async () => {
    const at = (levels: number) => `{"update_id": 7, "x": ${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;
    expect((await rawPost("/master/webhook", at(64), {})).statusCode).toBe(200);
    expectError(await rawPost("/master/webhook", at(65), {}), 400, "InvalidRequest");
    const inString = JSON.stringify({ update_id: 8, text: `${"[{".repeat(200)}\\"` });
    expect((await rawPost("/master/webhook", inString, {})).statusCode).toBe(200);
  });
});

describe("the request deadline", () => {
  it("cuts off a client still sending its body, but not a request whose body is in and whose handler is slow", async () => {
    const fake = new FakeBotApiServer();
    await fake.start();
    const app = await startTestApp({
      botApi: createBotApi({ mode: "REAL", token: testBotToken, apiRoot: fake.root, maxRetries: 0 }),
      requestBodyDeadlineMs: 300,
    });
    try {
      const url = await app.app.listen({ port: 0, host: "127.0.0.1" });
      const release = fake.hold("createInvoiceLink");
      const slowHandler = fetchJson<{ status: string }>(`${url}/api/payments/create`, {
        token: await app.tokenFor(42),
        body: JSON.stringify({ starsAmount: 10 }),
      });
      await eventually(
        () => Promise.resolve(fake.callsOf("createInvoiceLink").length > 0 ? true : undefined),
        "createInvoiceLink to reach Telegram",
      );
      // A slow client that started later is cut off, so the deadline has passed for the held request too.
      const slowBody = await SlowClient.start(url);
      const cut = await slowBody.ended;
      expect(cut.closedByServer).toBe(true);
      expect(parseRawResponse(cut.received).status).toBe(408);
      release();
      const created = await slowHandler;
      expect(created.status, created.text).toBe(201);
      expect(created.body.status).toBe("PENDING");
    } finally {
      await app.close();
      await fake.stop();
    }
  });
});

describe("what Node refuses before fastify sees it", () => {
  it("headers larger than Node accepts answer 431 in the {error, message} shape, over a real socket", async () => {
    const url = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const res = await fetch(`${url}/api/credits/balance`, { headers: { "x-padding": "x".repeat(32 * 1024) } });
    expect(res.status).toBe(431);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: "RequestHeadersTooLarge",
      message: `Request headers larger than ${maxHeaderSize} bytes`,
    });
  });
});

describe("every error body is {error, message}", () => {
  it("validation errors name the bad field", async () => {
    const body = expectError(
      await t.call("POST", "/api/payments/create", { user: 42, body: { starsAmount: -5 } }),
      400,
      "InvalidRequest",
    );
    expect(body.message).toMatch(/starsAmount/);
  });

  it("a route that does not exist, a wrong method, a bad path parameter", async () => {
    expectError(await t.call("GET", "/api/payments/nope"), 404);
    expectError(await t.call("GET", "/master/webhook"), 404);
    expectError(
      await t.call("GET", `/api/payments/admin/${"a".repeat(65)}`, { user: 1, admin: true }),
      400,
      "InvalidRequest",
    );
  });
});

describe("numeric query parameters have explicit ranges", () => {
  const admin = { user: 1, admin: true };
  const cases: { url: string; param: string; range: string }[] = [
    { url: "/api/events?after=", param: "after", range: "from 0 to 9223372036854775807" },
    { url: "/api/events?limit=", param: "limit", range: "from 1 to 10000" },
    { url: "/api/payments/admin/list?limit=", param: "limit", range: "from 1 to 100" },
    { url: "/api/payments/admin/list?userId=", param: "userId", range: "from 1 to 9007199254740991" },
    { url: "/api/payments/history?limit=", param: "limit", range: "from 1 to 100" },
  ];
  const outOfRange = ["9223372036854775808", "99999999999999999999999", "-1", "1.5", "1e3", "abc", "", "0x10", " 1"];

  it.each(cases)(
    "$url<value> outside its range answers 400 naming $param and the range",
    async ({ url, param, range }) => {
      for (const value of outOfRange) {
        const res = await t.call("GET", `${url}${encodeURIComponent(value)}`, admin);
        const body = expectError(res, 400, "InvalidRequest");
        expect(body.message, value).toContain(`/${param} must be a whole number ${range}`);
      }
    },
  );

  it("the largest position a PostgreSQL bigint holds is a valid cursor: an empty page, not an error", async () => {
    const res = await t.call("GET", "/api/events?after=9223372036854775807", admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe("");
  });

  it("a parameter given more than once answers 400 saying so, not 'received NaN'", async () => {
    for (const url of [
      "/api/events?limit=100&limit=1",
      "/api/events?after=1&after=2",
      "/api/payments/history?limit=100&limit=1",
      "/api/payments/admin/list?status=PAID&status=PENDING",
      "/api/payments/admin/list?cursor=a&cursor=b",
    ]) {
      const body = expectError(await t.call("GET", url, admin), 400, "InvalidRequest");
      const param = /\?(\w+)=/.exec(url)?.[1] ?? "";
      expect(body.message, url).toContain(`${param} given more than once`);
      expect(body.message, url).not.toContain("NaN");
    }
  });
});
