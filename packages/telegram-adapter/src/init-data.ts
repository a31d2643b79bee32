import { createHmac, timingSafeEqual } from "node:crypto";
import { wellFormedText } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

/** initData is a short query string (a few hundred bytes); anything far larger is refused before hashing. */
export const initDataLengthMax = 16 * 1024;
/** How far in the future auth_date may be, for clocks that disagree a little. */
export const initDataClockSkewMs = 60_000;

export type TelegramWebAppUser = {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string | undefined;
  readonly username: string | undefined;
  readonly languageCode: string | undefined;
  readonly isPremium: boolean | undefined;
  readonly photoUrl: string | undefined;
};

export type InitDataError = {
  readonly type: "InvalidInitData";
  readonly reason:
    "malformed" | "missing_hash" | "bad_hash" | "expired" | "future_auth_date" | "missing_user" | "invalid_user";
  readonly message: string;
};

const invalid = (reason: InitDataError["reason"], message: string): Result<never, InitDataError> =>
  err({ type: "InvalidInitData", reason, message });

const WebAppUserSchema = z
  .object({
    id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    first_name: wellFormedText().max(256),
    last_name: wellFormedText().max(256).optional(),
    username: wellFormedText().max(256).optional(),
    language_code: wellFormedText().max(35).optional(),
    is_premium: z.boolean().optional(),
    photo_url: wellFormedText().max(2048).optional(),
  })
  .transform((user): TelegramWebAppUser => ({
    id: user.id,
    firstName: user.first_name,
    lastName: user.last_name,
    username: user.username,
    languageCode: user.language_code,
    isPremium: user.is_premium,
    photoUrl: user.photo_url,
  }));

/** secret_key = HMAC-SHA256(key "WebAppData", message botToken); hash = hex HMAC-SHA256(key secret_key, data-check-string). */
const initDataHash = (dataCheckString: string, botToken: string): Buffer => {
  const secretKey = createHmac("sha256", "WebAppData").update(botToken).digest();
  return createHmac("sha256", secretKey).update(dataCheckString).digest();
};

/** Every field except hash, sorted by key, as key=value lines joined by "\n". */
const dataCheckString = (fields: ReadonlyMap<string, string>): string =>
  [...fields.entries()]
    .filter(([key]) => key !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");

/** Validates a Mini App's Telegram.WebApp.initData and returns its user. */
export const validateInitData = (
  initData: string,
  botToken: string,
  options: { readonly maxAgeMs: number; readonly now: Date },
): Result<TelegramWebAppUser, InitDataError> => {
  if (initData.length === 0 || initData.length > initDataLengthMax) {
    return invalid("malformed", `initData must be 1-${initDataLengthMax} characters`);
  }
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(initData)) {
    if (fields.has(key)) return invalid("malformed", `initData has the field "${key.slice(0, 64)}" twice`);
    fields.set(key, value);
  }
  const hash = fields.get("hash");
  if (hash === undefined) return invalid("missing_hash", "initData has no hash");
  if (!/^[0-9a-f]{64}$/i.test(hash)) return invalid("bad_hash", "initData hash is not 64 hex digits");
  const expected = initDataHash(dataCheckString(fields), botToken);
  if (!timingSafeEqual(Buffer.from(hash, "hex"), expected)) return invalid("bad_hash", "initData hash does not match");

  const authDate = Number(fields.get("auth_date"));
  if (!Number.isSafeInteger(authDate) || authDate <= 0) return invalid("malformed", "initData has no valid auth_date");
  const ageMs = options.now.getTime() - authDate * 1000;
  if (ageMs > options.maxAgeMs) return invalid("expired", `initData is older than ${options.maxAgeMs} ms`);
  if (ageMs < -initDataClockSkewMs) return invalid("future_auth_date", "initData auth_date is in the future");

  const userJson = fields.get("user");
  if (userJson === undefined) return invalid("missing_user", "initData has no user");
  let user: unknown;
  try {
    user = JSON.parse(userJson);
  } catch {
    return invalid("invalid_user", "initData user is not JSON");
  }
  const parsed = WebAppUserSchema.safeParse(user);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "user"} ${issue.message}`);
    return invalid("invalid_user", `initData user is not valid: ${problems.join("; ")}`);
  }
  return ok(parsed.data);
};

/** Signs fields the way Telegram does, for tests and dev tooling: returns the initData query string with its hash. */
export const signInitData = (fields: Readonly<Record<string, string>>, botToken: string): string => {
  const entries = new Map(Object.entries(fields).filter(([key]) => key !== "hash"));
  const hash = initDataHash(dataCheckString(entries), botToken).toString("hex");
  return new URLSearchParams([...entries.entries(), ["hash", hash]]).toString();
};
