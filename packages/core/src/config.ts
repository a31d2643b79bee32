import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { defaultStarsToCreditsRate } from "./credit-packages.js";
import { defaultExpirySweepIntervalMs } from "./payment-expiry-sweeper.js";
import { isWellFormedText, wellFormedTextMessage } from "./well-formed-text.js";

const hourMs = 60 * 60 * 1000;
const durationUnitsMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: hourMs, d: 24 * hourMs };

/** "24h", "90m", "30s", "1d", "500ms" or a bare number of milliseconds. */
export const parseDurationMs = (text: string): number | undefined => {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unitMs = durationUnitsMs[match[2] ?? "ms"];
  if (unitMs === undefined || !Number.isSafeInteger(value * unitMs)) return undefined;
  return value * unitMs;
};

const duration = (example: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDurationMs(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected a positive duration like "${example}", "30m", "45s" or milliseconds`,
      });
      return z.NEVER;
    }
    return ms;
  });

const flag = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""], {
    error: () => 'expected "1"/"true"/"yes"/"on" or "0"/"false"/"no"/"off"',
  })
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const positiveInt = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected a positive whole number (${what})` })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n > 0, { message: `expected a positive whole number (${what})` });

const storeSchemes = [
  "sqlite:",
  "postgres://",
  "postgresql://",
  "esdb://",
  "esdb+discover://",
  "kurrentdb://",
  "kurrentdb+discover://",
  "memory:",
];

/** The single list of settings. Every value is read from the environment as a string. */
export const ConfigSchema = z.object({
  MASTER_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, { message: 'expected a bot token like "123456:ABC-DEF..." from @BotFather' })
    .optional(),
  PAYMENT_MODE: z.enum(["REAL", "MOCK"], { error: () => 'expected "REAL" or "MOCK"' }).default("MOCK"),
  STARS_TO_CREDITS_RATE: positiveInt("credits per Star").default(defaultStarsToCreditsRate),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, {
      message: "expected 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token rule)",
    })
    .optional(),
  ALLOW_INSECURE_WEBHOOK: flag.default(false),
  EVENT_STORE_URL: z
    .string()
    .refine((url) => storeSchemes.some((scheme) => url.startsWith(scheme)), {
      message: `expected a URL starting with one of ${storeSchemes.join(", ")}`,
    })
    .default("sqlite:./data/starledger.db"),
  SQLITE_SYNCHRONOUS: z
    .enum(["FULL", "NORMAL"], { error: () => 'expected "FULL" (an acknowledged append is on disk) or "NORMAL"' })
    .default("FULL"),
  POSTGRES_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,47}$/, { message: "expected a lowercase SQL identifier of at most 48 characters" })
    .default("starledger"),
  POSTGRES_POOL_SIZE: positiveInt("connections").default(10),
  POSTGRES_STATEMENT_TIMEOUT: duration("30s").default(30_000),
  PORT: z
    .string()
    .regex(/^\d+$/, { message: "expected a port number 0-65535" })
    .transform(Number)
    .refine((n) => n <= 65535, { message: "expected a port number 0-65535" })
    .default(8001),
  HOST: z.string().min(1).default("127.0.0.1"),
  AUTH_SECRET: z.string().min(32, { message: "expected at least 32 characters" }).optional(),
  ADMIN_USER_IDS: z
    .string()
    .regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, { message: 'expected comma-separated Telegram user ids like "123,456"' })
    .transform((text) =>
      text
        .split(",")
        .map((id) => id.trim())
        .filter((id) => id !== "")
        .map(Number),
    )
    .default([]),
  TELEGRAM_API_ROOT: z.url({ message: "expected an http(s) URL" }).default("https://api.telegram.org"),
  TELEGRAM_TEST_ENV: flag.default(false),
  PAYMENT_TTL: duration("24h").default(24 * hourMs),
  EXPIRY_SWEEP_INTERVAL: duration("30s").default(defaultExpirySweepIntervalMs),
  PRE_CHECKOUT_ANSWER: z.enum(["reply", "api"], { error: () => 'expected "reply" or "api"' }).default("reply"),
  REQUIRE_SAME_USER: flag.default(true),
  INIT_DATA_MAX_AGE: duration("1h").default(hourMs),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: () => "expected one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
});

export type Config = z.infer<typeof ConfigSchema>;

export type ConfigError = {
  readonly type: "ConfigError";
  /** One line per bad setting: `NAME: expected ..., got "..."`. */
  readonly problems: readonly string[];
  readonly message: string;
};

const secretNames = new Set(["MASTER_BOT_TOKEN", "WEBHOOK_SECRET", "AUTH_SECRET"]);
const shown = (name: string, value: string | undefined): string =>
  value === undefined
    ? "nothing"
    : secretNames.has(name)
      ? `a value of ${value.length} characters`
      : JSON.stringify(value);

/** Parse settings from an environment. Empty strings count as unset. */
export const parseConfig = (env: Readonly<Record<string, string | undefined>>): Result<Config, ConfigError> => {
  const input: Record<string, string> = {};
  const illFormed: string[] = [];
  for (const name of Object.keys(ConfigSchema.shape)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (isWellFormedText(value)) input[name] = value;
    else illFormed.push(`${name}: ${wellFormedTextMessage}, got ${shown(name, value)}`);
  }
  const parsed = ConfigSchema.safeParse(input);
  const problems = [
    ...illFormed,
    ...(parsed.error?.issues ?? []).map((issue) => {
      const name = String(issue.path[0] ?? "config");
      return `${name}: ${issue.message}, got ${shown(name, input[name])}`;
    }),
  ];
  if (!parsed.success || problems.length > 0) {
    return err({ type: "ConfigError", problems, message: `Invalid configuration:\n  ${problems.join("\n  ")}` });
  }
  const config = parsed.data;
  if (config.PAYMENT_MODE === "REAL" && config.MASTER_BOT_TOKEN === undefined) {
    const problem = "Payment system not configured: MASTER_BOT_TOKEN is not set";
    return err({ type: "ConfigError", problems: [problem], message: problem });
  }
  return ok(config);
};
