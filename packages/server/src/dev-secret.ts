import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config.js";

export const devSecretFileName = "auth-secret";

/** Where MOCK mode keeps its generated AUTH_SECRET: beside the SQLite file, else ./data. */
export const dataDirectory = (eventStoreUrl: string): string =>
  eventStoreUrl.startsWith("sqlite:") && eventStoreUrl !== "sqlite::memory:"
    ? dirname(eventStoreUrl.slice("sqlite:".length))
    : "./data";

/** MOCK mode without AUTH_SECRET: generate one once and keep it, so dev tokens survive restarts. */
export const loadOrCreateDevSecret = (directory: string): { secret: string; path: string; created: boolean } => {
  const path = join(directory, devSecretFileName);
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length >= 32) return { secret, path, created: false };
  }
  mkdirSync(directory, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { secret, path, created: true };
};

/**
 * AUTH_SECRET, or without it the development secret kept in the data directory (only MOCK mode may run without
 * AUTH_SECRET: serve and token check that first), saying so in the log when there is one.
 */
export const resolveAuthSecret = (config: Pick<Config, "AUTH_SECRET" | "EVENT_STORE_URL">, logger?: Logger): string => {
  if (config.AUTH_SECRET !== undefined) return config.AUTH_SECRET;
  const dev = loadOrCreateDevSecret(dataDirectory(config.EVENT_STORE_URL));
  logger?.info(
    { path: dev.path, created: dev.created },
    "MOCK mode without AUTH_SECRET: using the generated development secret",
  );
  return dev.secret;
};
