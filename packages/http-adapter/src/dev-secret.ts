import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

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
