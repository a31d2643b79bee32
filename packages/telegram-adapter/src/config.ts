import { durationSetting, flagSetting, type SettingsPart } from "@starledger/core";
import { z } from "zod";
import { notConfiguredMessage } from "./create-bot-api.js";
import { defaultTelegramApiRoot } from "./http-transport.js";

const hourMs = 60 * 60 * 1000;

const telegramConfigSchema = z.object({
  PAYMENT_MODE: z.enum(["REAL", "MOCK"], { error: () => 'expected "REAL" or "MOCK"' }).default("MOCK"),
  MASTER_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, { message: 'expected a bot token like "123456:ABC-DEF..." from @BotFather' })
    .optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, {
      message: "expected 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token rule)",
    })
    .optional(),
  ALLOW_INSECURE_WEBHOOK: flagSetting.default(false),
  TELEGRAM_API_ROOT: z.url({ message: "expected an http(s) URL" }).default(defaultTelegramApiRoot),
  TELEGRAM_TEST_ENV: flagSetting.default(false),
  PRE_CHECKOUT_ANSWER: z.enum(["reply", "api"], { error: () => 'expected "reply" or "api"' }).default("reply"),
  INIT_DATA_MAX_AGE: durationSetting("1h").default(hourMs),
});

/** Telegram's settings: the mode, the bot, the webhook's secret, the Bot API's root, Mini App sign-in. */
export type TelegramConfig = z.output<typeof telegramConfigSchema>;

export const telegramConfig: SettingsPart<typeof telegramConfigSchema> = {
  schema: telegramConfigSchema,
  secretNames: ["MASTER_BOT_TOKEN", "WEBHOOK_SECRET"],
  // The runbook's troubleshooting message, on its own.
  check: (config) =>
    config.PAYMENT_MODE === "REAL" && config.MASTER_BOT_TOKEN === undefined ? notConfiguredMessage : undefined,
};
