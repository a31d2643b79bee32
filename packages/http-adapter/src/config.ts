import type { SettingsPart } from "@starledger/core";
import { z } from "zod";

const httpConfigSchema = z.object({
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
});

/** The HTTP server's settings: where it listens, the key of its bearer tokens, its admins. */
export type HttpConfig = z.output<typeof httpConfigSchema>;

export const httpConfig: SettingsPart<typeof httpConfigSchema> = {
  schema: httpConfigSchema,
  secretNames: ["AUTH_SECRET"],
};
