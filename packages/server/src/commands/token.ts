import { parseArgs } from "node:util";
import { parseDurationMs } from "@starledger/core";
import { issueToken, tokenTtlMaxMs } from "@starledger/http-adapter";
import { loadConfig, type Command } from "../cli-context.js";
import { resolveAuthSecret } from "../dev-secret.js";

export const tokenCommand: Command = {
  help: `starledger token --user ID [--admin] [--ttl 1h]
  Prints a bearer token signed with AUTH_SECRET (MOCK mode without it: the generated development secret).
  --user ID   Telegram user id (the token's sub)
  --admin     add role "admin"
  --ttl DUR   lifetime, e.g. 30m, 1h, 7d (default 1h, at most 365d)`,
  run: async (args, ctx) => {
    const { values } = parseArgs({
      args,
      options: {
        user: { type: "string" },
        admin: { type: "boolean", default: false },
        ttl: { type: "string", default: "1h" },
      },
    });
    const userId = Number(values.user);
    if (values.user === undefined || !/^\d+$/.test(values.user) || !Number.isSafeInteger(userId) || userId <= 0) {
      ctx.io.err("--user must be a Telegram user id (a positive whole number)");
      return 2;
    }
    const ttlMs = parseDurationMs(values.ttl);
    if (ttlMs === undefined || ttlMs <= 0 || ttlMs > tokenTtlMaxMs) {
      ctx.io.err(`--ttl must be a duration like 30m, 1h or 7d, at most 365d; got "${values.ttl}"`);
      return 2;
    }
    const config = loadConfig(ctx);
    if (config === undefined) return 1;
    if (config.AUTH_SECRET === undefined && config.PAYMENT_MODE === "REAL") {
      ctx.io.err("AUTH_SECRET is required in REAL mode");
      return 1;
    }
    const now = ctx.now?.();
    const token = await issueToken(
      { userId, admin: values.admin, ttlMs, ...(now === undefined ? {} : { now }) },
      resolveAuthSecret(config),
    );
    ctx.io.out(token);
    return 0;
  },
};
