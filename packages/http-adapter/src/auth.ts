import { validateInitData } from "@starledger/telegram-adapter";
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from "jose";
import { err, ok, type Result } from "neverthrow";

/** Who is calling. `subject` names the caller in audit fields (e.g. an admin's refund). */
export type Caller = { readonly userId: number; readonly isAdmin: boolean; readonly subject: string };

export type AuthError =
  | { readonly type: "Unauthorized"; readonly message: string }
  | { readonly type: "Forbidden"; readonly message: string };

export type AuthSettings = {
  /** AUTH_SECRET: HS256 key for bearer tokens. */
  readonly authSecret: string;
  /** MASTER_BOT_TOKEN: the key Mini App initData is signed with; without it `tma` is refused. */
  readonly botToken: string | undefined;
  readonly adminUserIds: readonly number[];
  readonly initDataMaxAgeMs: number;
};

const algorithm = "HS256";
export const tokenIssuer = "starledger";
const dayMs = 24 * 60 * 60 * 1000;
/** Longest lifetime a token may be issued with (the CLI's cap) and that the server accepts. */
export const tokenTtlMaxMs = 365 * dayMs;
/** How far the issuer's clock may run ahead of ours before a token of the longest lifetime looks too long. */
export const tokenClockSkewMaxMs = 60_000;

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);
const unauthorized = (message: string): AuthError => ({ type: "Unauthorized", message });

/** Signs a bearer token: `sub` is the Telegram user id, `role: "admin"` optional, `exp` required. */
export const issueToken = async (
  input: { userId: number; admin: boolean; ttlMs: number; now?: Date },
  secret: string,
): Promise<string> => {
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const ttlSeconds = Math.max(1, Math.floor(Math.min(input.ttlMs, tokenTtlMaxMs) / 1000));
  return new SignJWT(input.admin ? { role: "admin" } : {})
    .setProtectedHeader({ alg: algorithm })
    .setSubject(String(input.userId))
    .setIssuer(tokenIssuer)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ttlSeconds)
    .sign(key(secret));
};

/**
 * How long a token was made to live: from iat to exp, and never less than from now to exp, so that neither a missing
 * nor a future iat lets a token outlive tokenTtlMaxMs.
 */
const lifetimeMs = (payload: JWTPayload, now: Date): number => {
  const expMs = (payload.exp ?? 0) * 1000;
  const fromNowMs = expMs - now.getTime() - tokenClockSkewMaxMs;
  return payload.iat === undefined ? fromNowMs : Math.max(fromNowMs, expMs - payload.iat * 1000);
};

const verifyBearer = async (token: string, settings: AuthSettings, now: Date): Promise<Result<Caller, AuthError>> => {
  try {
    const { payload } = await jwtVerify(token, key(settings.authSecret), {
      algorithms: [algorithm],
      issuer: tokenIssuer,
      requiredClaims: ["exp", "sub"],
      currentDate: now,
    });
    if (lifetimeMs(payload, now) > tokenTtlMaxMs)
      return err(unauthorized(`Token lifetime exceeds ${tokenTtlMaxMs / dayMs} days`));
    const userId = Number(payload.sub);
    if (!/^\d+$/.test(payload.sub ?? "") || !Number.isSafeInteger(userId) || userId <= 0) {
      return err(unauthorized("Token subject must be a Telegram user id"));
    }
    const isAdmin = payload.role === "admin" || settings.adminUserIds.includes(userId);
    return ok({ userId, isAdmin, subject: `user:${userId}` });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return err(unauthorized("Token expired"));
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      return err(unauthorized(`Token ${error.claim} claim is missing or invalid`));
    return err(unauthorized("Invalid token"));
  }
};

/** Reads `Authorization: Bearer <JWT>` or `Authorization: tma <initData>`. */
export const authenticate = async (
  authorization: string | undefined,
  settings: AuthSettings,
  now: Date,
): Promise<Result<Caller, AuthError>> => {
  if (authorization === undefined || authorization.trim() === "") {
    return err(unauthorized("Missing Authorization header: send 'Bearer <token>' or 'tma <initData>'"));
  }
  const match = /^(\S+)\s+(.+)$/.exec(authorization.trim());
  const scheme = match?.[1]?.toLowerCase();
  const credentials = match?.[2] ?? "";
  if (scheme === "bearer") return verifyBearer(credentials, settings, now);
  if (scheme === "tma") {
    if (settings.botToken === undefined) return err(unauthorized("Mini App auth needs MASTER_BOT_TOKEN to be set"));
    const validated = validateInitData(credentials, settings.botToken, { maxAgeMs: settings.initDataMaxAgeMs, now });
    if (validated.isErr()) return err(unauthorized(`Invalid initData: ${validated.error.message}`));
    const userId = validated.value.id;
    return ok({ userId, isAdmin: settings.adminUserIds.includes(userId), subject: `user:${userId}` });
  }
  return err(unauthorized("Unsupported Authorization scheme: use 'Bearer <token>' or 'tma <initData>'"));
};

export const requireAdmin = (caller: Caller): Result<Caller, AuthError> =>
  caller.isAdmin ? ok(caller) : err({ type: "Forbidden", message: "Admin access required" });
