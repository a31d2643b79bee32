import { ok } from "neverthrow";
import type { BotApi } from "./bot-api.js";
import { preCheckoutCall } from "./update-translation.js";
import type { UpdateHandler, UpdateHandlerDeps, WebhookReply } from "./webhook-answer.js";

/** The refusal when the decision could not be made in time or the store failed. */
export const preCheckoutUnavailableMessage = "Payment is temporarily unavailable, please try again";

type Settled<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: true; readonly thrown: unknown }
  | { readonly done: false };

/** Waits for `work` at most `budgetMs`; never rejects, so work that finishes late cannot become an unhandled rejection. */
const withinBudget = async <T>(work: Promise<T>, budgetMs: number): Promise<Settled<T>> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(
      () => {
        resolve({ done: false });
      },
      Math.max(0, budgetMs),
    );
  });
  const settled = work.then(
    (value): Settled<T> => ({ done: true, value }),
    (thrown: unknown): Settled<T> => ({ done: true, thrown }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
};

type PreCheckoutAnswer = { readonly ok: true } | { readonly ok: false; readonly errorMessage: string };

export type PreCheckoutHandlerDeps = UpdateHandlerDeps<"answerPreCheckout"> & {
  readonly botApi: Pick<BotApi, "answerPreCheckoutQuery">;
  /** How long the decision may take; the webhook service holds it within Telegram's deadline. */
  readonly budgetMs: number;
  /** In the webhook reply, or with a separate answerPreCheckoutQuery call (which falls back to the reply). */
  readonly answerVia: "reply" | "api";
};

/** pre_checkout_query: approve or refuse within the budget; a refusal, never a 503, when no decision came in time. */
export const preCheckoutHandler =
  ({ ledger, botApi, logger, now, budgetMs, answerVia }: PreCheckoutHandlerDeps): UpdateHandler<"pre_checkout_query"> =>
  async (update) => {
    const call = preCheckoutCall(update, now());
    const startedMs = Date.now();
    const query = update.preCheckoutQuery;
    const fields = {
      updateId: update.updateId,
      queryId: query.id,
      paymentId: query.invoicePayload,
      userId: query.from.id,
    };
    const decided = await withinBudget(ledger.answerPreCheckout(call.input, call.context), budgetMs);

    // A refusal answered with 200 beats a 503: a retried pre-checkout would arrive after Telegram's 10 s deadline.
    let answer: PreCheckoutAnswer = { ok: false, errorMessage: preCheckoutUnavailableMessage };
    if (!decided.done) {
      logger.warn({ ...fields, budgetMs }, "Pre-checkout refused: not decided within the budget");
    } else if ("thrown" in decided) {
      logger.error({ ...fields, err: decided.thrown }, "Pre-checkout refused: unexpected error");
    } else if (decided.value.isOk()) {
      answer = { ok: true };
      logger.info({ ...fields, starsAmount: query.totalAmount }, "Pre-checkout approved");
    } else if (decided.value.error.type === "PreCheckoutRefused") {
      answer = { ok: false, errorMessage: decided.value.error.errorMessage };
      logger.info({ ...fields, reason: decided.value.error.reason }, "Pre-checkout refused");
    } else {
      logger.error(
        { ...fields, error: decided.value.error.type },
        "Pre-checkout refused: payments temporarily unavailable",
      );
    }

    const reply: WebhookReply = {
      kind: "reply",
      body: {
        method: "answerPreCheckoutQuery",
        pre_checkout_query_id: query.id,
        ok: answer.ok,
        ...(answer.ok ? {} : { error_message: answer.errorMessage }),
      },
    };
    if (answerVia === "reply") return ok(reply);

    const remainingMs = budgetMs - (Date.now() - startedMs);
    const sent =
      remainingMs > 0
        ? await withinBudget(
            botApi.answerPreCheckoutQuery({
              preCheckoutQueryId: query.id,
              ok: answer.ok,
              ...(answer.ok ? {} : { errorMessage: answer.errorMessage }),
            }),
            remainingMs,
          )
        : ({ done: false } as const);
    if (sent.done && "value" in sent && sent.value.isOk()) return ok({ kind: "ack" });
    const failure = !sent.done
      ? "no answer within the budget"
      : "value" in sent && sent.value.isErr()
        ? sent.value.error.message
        : "threw";
    logger.warn({ ...fields, failure }, "answerPreCheckoutQuery failed; answering in the webhook reply instead");
    return ok(reply);
  };
