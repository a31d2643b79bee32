import { createBotApiFromConfig } from "@starledger/telegram-adapter";
import { loadConfig, type Command } from "../cli-context.js";

const help = `starledger stars balance
  Prints the bot's Star balance (getMyStarBalance).`;

export const starsCommand: Command = {
  help,
  run: async (args, ctx) => {
    if (args[0] !== "balance") {
      ctx.io.err(help);
      return 2;
    }
    const config = loadConfig(ctx);
    if (config === undefined) return 1;
    const balance = await createBotApiFromConfig(config).getMyStarBalance();
    if (balance.isErr()) {
      ctx.io.err(`getMyStarBalance failed: ${balance.error.message}`);
      return 1;
    }
    const { starsAmount, nanostarAmount } = balance.value;
    ctx.io.out(`${starsAmount} Stars${nanostarAmount === 0 ? "" : ` and ${nanostarAmount} nanostars`}`);
    return 0;
  },
};
