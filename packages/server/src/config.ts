import assert from "node:assert/strict";
import { isWellFormedText, ledgerConfig, wellFormedTextMessage, type SettingsPart } from "@starledger/core";
import { httpConfig } from "@starledger/http-adapter";
import { postgresConfig } from "@starledger/store-postgres/config";
import { sqliteConfig } from "@starledger/store-sqlite/config";
import { telegramConfig } from "@starledger/telegram-adapter";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

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

const serverConfigSchema = z.object({
  EVENT_STORE_URL: z
    .string()
    .refine((url) => storeSchemes.some((scheme) => url.startsWith(scheme)), {
      message: `expected a URL starting with one of ${storeSchemes.join(", ")}`,
    })
    .default("sqlite:./data/starledger.db"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: () => "expected one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
});

/** The server's own settings: which store to open, how much to log. */
export const serverConfig: SettingsPart<typeof serverConfigSchema> = { schema: serverConfigSchema, secretNames: [] };

/** Every package's part, each owning its settings. */
const parts = [telegramConfig, ledgerConfig, serverConfig, sqliteConfig, postgresConfig, httpConfig] as const;

const ConfigSchema = z.object({
  ...telegramConfig.schema.shape,
  ...ledgerConfig.schema.shape,
  ...serverConfig.schema.shape,
  ...sqliteConfig.schema.shape,
  ...postgresConfig.schema.shape,
  ...httpConfig.schema.shape,
});

/** The single list of settings. Every value is read from the environment as a string. */
export type Config = z.output<typeof ConfigSchema>;

/** Every setting's name, in the order its problems are listed. */
export const settingNames: readonly string[] = parts.flatMap((part) => Object.keys(part.schema.shape));
assert.deepEqual(
  [...settingNames].sort(),
  Object.keys(ConfigSchema.shape).sort(),
  "every part's settings are in the schema, and no two packages claim the same setting",
);

export type ConfigError = {
  readonly type: "ConfigError";
  /** One line per bad setting: `NAME: expected ..., got "..."`. */
  readonly problems: readonly string[];
  readonly message: string;
};

const secretNames: ReadonlySet<string> = new Set(parts.flatMap((part) => part.secretNames));
const shown = (name: string, value: string | undefined): string =>
  value === undefined
    ? "nothing"
    : secretNames.has(name)
      ? `a value of ${value.length} characters`
      : JSON.stringify(value);

/** Each package's rule across its own settings; the first that fails is the whole message. */
const crossCheck = (config: Config): string | undefined => {
  for (const part of parts) {
    const problem = (part as SettingsPart).check?.(config);
    if (problem !== undefined) return problem;
  }
  return undefined;
};

/** Parse settings from an environment. Empty strings count as unset. */
export const parseConfig = (env: Readonly<Record<string, string | undefined>>): Result<Config, ConfigError> => {
  const input: Record<string, string> = {};
  const illFormed: string[] = [];
  for (const name of settingNames) {
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
  const problem = crossCheck(parsed.data);
  if (problem !== undefined) return err({ type: "ConfigError", problems: [problem], message: problem });
  return ok(parsed.data);
};
