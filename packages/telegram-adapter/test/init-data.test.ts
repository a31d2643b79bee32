import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signInitData, validateInitData } from "../src/index.js";

const botToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ";
const now = new Date("2025-11-26T12:00:00Z");
const authDate = String(Math.floor(now.getTime() / 1000) - 60);
const maxAgeMs = 60 * 60 * 1000;
const user = JSON.stringify({
  id: 512345678,
  first_name: "Ada",
  last_name: "L",
  username: "ada_example",
  language_code: "en",
  is_premium: true,
});

/** The documented algorithm, written out independently of the package. */
const telegramHash = (pairs: [string, string][], token: string): string => {
  const dataCheckString = pairs
    .filter(([key]) => key !== "hash")
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join("\n");
  const secretKey = createHmac("sha256", "WebAppData").update(token).digest();
  return createHmac("sha256", secretKey).update(dataCheckString).digest("hex");
};

const initDataOf = (pairs: [string, string][], hash = telegramHash(pairs, botToken)): string =>
  [...pairs, ["hash", hash] as [string, string]].map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join("&");

const basePairs: [string, string][] = [
  ["query_id", "AAHdF6IQAAAAAN0XohDhrOrc"],
  ["user", user],
  ["auth_date", authDate],
];

const reasonOf = (initData: string, options = { maxAgeMs, now }) =>
  validateInitData(initData, botToken, options)._unsafeUnwrapErr().reason;

describe("validateInitData", () => {
  it("accepts initData signed with the documented algorithm and returns its user", () => {
    expect(validateInitData(initDataOf(basePairs), botToken, { maxAgeMs, now })._unsafeUnwrap()).toEqual({
      id: 512345678,
      firstName: "Ada",
      lastName: "L",
      username: "ada_example",
      languageCode: "en",
      isPremium: true,
      photoUrl: undefined,
    });
  });

  it("checks every field, in any order, including ones it does not know (signature, chat_type)", () => {
    const pairs: [string, string][] = [["signature", "abc"], ["chat_type", "sender"], ...[...basePairs].reverse()];
    expect(validateInitData(initDataOf(pairs), botToken, { maxAgeMs, now }).isOk()).toBe(true);
  });

  it("accepts the uppercase hex form of the hash", () => {
    expect(
      validateInitData(initDataOf(basePairs, telegramHash(basePairs, botToken).toUpperCase()), botToken, {
        maxAgeMs,
        now,
      }).isOk(),
    ).toBe(true);
  });

  it("refuses a hash made with another bot's token", () => {
    expect(
      reasonOf(initDataOf(basePairs, telegramHash(basePairs, "987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"))),
    ).toBe("bad_hash");
  });

  it("refuses initData whose user was changed after signing", () => {
    const signed = initDataOf(basePairs);
    expect(reasonOf(signed.replace("512345678", "512345679"))).toBe("bad_hash");
  });

  it("refuses a hash that is not 64 hex digits, and a missing hash", () => {
    expect(reasonOf(initDataOf(basePairs, "zz"))).toBe("bad_hash");
    expect(reasonOf(basePairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"))).toBe("missing_hash");
  });

  it("refuses an auth_date older than maxAgeMs, and accepts it inside the window", () => {
    const stale: [string, string][] = [
      ["user", user],
      ["auth_date", String(Math.floor(now.getTime() / 1000) - 3601)],
    ];
    expect(reasonOf(initDataOf(stale))).toBe("expired");
    expect(validateInitData(initDataOf(stale), botToken, { maxAgeMs: 2 * maxAgeMs, now }).isOk()).toBe(true);
  });

  it("refuses an auth_date far in the future", () => {
    expect(
      reasonOf(
        initDataOf([
          ["user", user],
          ["auth_date", String(Math.floor(now.getTime() / 1000) + 3600)],
        ]),
      ),
    ).toBe("future_auth_date");
  });

  it("refuses correctly signed initData without a user, or with a user without an id", () => {
    expect(
      reasonOf(
        initDataOf([
          ["auth_date", authDate],
          ["query_id", "q"],
        ]),
      ),
    ).toBe("missing_user");
    expect(
      reasonOf(
        initDataOf([
          ["auth_date", authDate],
          ["user", JSON.stringify({ first_name: "Ada" })],
        ]),
      ),
    ).toBe("invalid_user");
    expect(
      reasonOf(
        initDataOf([
          ["auth_date", authDate],
          ["user", "{not json"],
        ]),
      ),
    ).toBe("invalid_user");
  });

  it("refuses a correctly signed user whose text holds a lone surrogate or NUL, naming the field", () => {
    // JSON escapes, as a client would send them: JSON.parse turns them into a lone surrogate and a NUL.
    for (const [name, escaped] of [
      ["first_name", '"Ada\\ud800"'],
      ["username", '"ada\\u0000"'],
    ]) {
      const userJson = `{"id":512345678,"first_name":"Ada","${name}":${escaped}}`;
      const refused = validateInitData(
        initDataOf([
          ["auth_date", authDate],
          ["user", userJson],
        ]),
        botToken,
        { maxAgeMs, now },
      )._unsafeUnwrapErr();
      expect(refused).toEqual({
        type: "InvalidInitData",
        reason: "invalid_user",
        message: `initData user is not valid: ${name} must be well-formed Unicode text without NUL`,
      });
    }
  });

  it("refuses a repeated field, an empty string and an oversize string", () => {
    expect(reasonOf(`${initDataOf(basePairs)}&user=x`)).toBe("malformed");
    expect(reasonOf("")).toBe("malformed");
    expect(reasonOf(`a=${"x".repeat(20_000)}`)).toBe("malformed");
  });
});

describe("signInitData", () => {
  it("produces the hash of the documented algorithm, which validateInitData accepts", () => {
    const fields = { query_id: "AAHdF6IQAAAAAN0XohDhrOrc", user, auth_date: authDate };
    const signed = signInitData(fields, botToken);
    expect(new URLSearchParams(signed).get("hash")).toBe(telegramHash(Object.entries(fields), botToken));
    expect(validateInitData(signed, botToken, { maxAgeMs, now })._unsafeUnwrap().id).toBe(512345678);
  });
});
