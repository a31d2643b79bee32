import { parseArgs } from "node:util";
import { createBotApiFromConfig } from "@starledger/telegram-adapter";
import { loadConfig, type Command } from "../cli-context.js";

const help = `starledger webhook set --url URL [--drop-pending] | info | delete
  set     setWebhook with WEBHOOK_SECRET as secret_token and allowed_updates ["message","pre_checkout_query"]
  info    getWebhookInfo
  delete  deleteWebhook (--drop-pending drops queued updates)`;

export const webhookCommand: Command = {
  help,
  run: async (args, ctx) => {
    const { io } = ctx;
    const [action, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      options: { url: { type: "string" }, "drop-pending": { type: "boolean", default: false } },
    });
    const config = loadConfig(ctx);
    if (config === undefined) return 1;
    const botApi = createBotApiFromConfig(config);
    if (action === "set") {
      if (values.url === undefined || !/^https:\/\//.test(values.url)) {
        io.err("webhook set needs --url https://your-host/master/webhook (Telegram requires HTTPS)");
        return 2;
      }
      if (config.WEBHOOK_SECRET === undefined)
        io.err("warning: WEBHOOK_SECRET is not set, so Telegram's requests cannot be verified");
      const set = await botApi.setWebhook({
        url: values.url,
        ...(config.WEBHOOK_SECRET === undefined ? {} : { secretToken: config.WEBHOOK_SECRET }),
        dropPendingUpdates: values["drop-pending"],
      });
      if (set.isErr()) {
        io.err(`setWebhook failed: ${set.error.message}`);
        return 1;
      }
      io.out(
        `Webhook set to ${values.url} (allowed_updates: message, pre_checkout_query${config.WEBHOOK_SECRET === undefined ? "" : ", with secret_token"})`,
      );
      return 0;
    }
    if (action === "info") {
      const info = await botApi.getWebhookInfo();
      if (info.isErr()) {
        io.err(`getWebhookInfo failed: ${info.error.message}`);
        return 1;
      }
      io.out(JSON.stringify(info.value, null, 2));
      return 0;
    }
    if (action === "delete") {
      const deleted = await botApi.deleteWebhook({ dropPendingUpdates: values["drop-pending"] });
      if (deleted.isErr()) {
        io.err(`deleteWebhook failed: ${deleted.error.message}`);
        return 1;
      }
      io.out("Webhook deleted");
      return 0;
    }
    io.err(help);
    return 2;
  },
};
