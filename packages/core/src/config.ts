import { z } from "zod";
import { defaultStarsToCreditsRate } from "./credit-packages.js";
import { defaultExpirySweepIntervalMs } from "./payment-expiry-sweeper.js";

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

/** A setting holding a positive duration ("30m", "24h", ms), read as milliseconds. */
export const durationSetting = (example: string) =>
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

/** A yes/no setting. */
export const flagSetting = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""], {
    error: () => 'expected "1"/"true"/"yes"/"on" or "0"/"false"/"no"/"off"',
  })
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

/** A setting holding a positive whole number of `what`. */
export const positiveIntSetting = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected a positive whole number (${what})` })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n > 0, { message: `expected a positive whole number (${what})` });

/**
 * One package's part of the settings: the zod schema of the environment variables it reads (each a string, or
 * unset), which of them are secrets, and a rule across them. The composition root merges the parts into the single
 * list of settings, so a package that gains a setting changes only its own part.
 */
export type SettingsPart<Schema extends z.ZodObject = z.ZodObject> = {
  readonly schema: Schema;
  /** Shown in an error only as their length. */
  readonly secretNames: readonly string[];
  /** Checked once every value is valid: the one problem that stops start-up, or undefined. */
  check?(settings: z.output<Schema>): string | undefined;
};

const ledgerConfigSchema = z.object({
  STARS_TO_CREDITS_RATE: positiveIntSetting("credits per Star").default(defaultStarsToCreditsRate),
  PAYMENT_TTL: durationSetting("24h").default(24 * hourMs),
  EXPIRY_SWEEP_INTERVAL: durationSetting("30s").default(defaultExpirySweepIntervalMs),
  REQUIRE_SAME_USER: flagSetting.default(true),
});

/** The ledger's settings: the exchange rate, how long a payment may be paid, who may pay it, how often expiry runs. */
export type LedgerConfig = z.output<typeof ledgerConfigSchema>;

export const ledgerConfig: SettingsPart<typeof ledgerConfigSchema> = { schema: ledgerConfigSchema, secretNames: [] };
