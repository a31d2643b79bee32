import { webhookErrorBody, webhookErrorStatus } from "@starledger/telegram-adapter";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { webhookBodyLimitBytes, type AppContext } from "../app-context.js";
import { WebhookSecretHeader } from "../schemas.js";

const secretHeader = "x-telegram-bot-api-secret-token";

const hasPreCheckout = (body: unknown): boolean =>
  typeof body === "object" && body !== null && "pre_checkout_query" in body;

/** Telegram: every update goes through the telegram-adapter's webhook service; 2xx only once its events are durable. */
export const webhookRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.post(
      "/master/webhook",
      {
        bodyLimit: webhookBodyLimitBytes,
        schema: {
          tags: ["telegram"],
          summary: "Telegram webhook: pre_checkout_query, successful_payment, refunded_payment",
          headers: z.object({ [secretHeader]: WebhookSecretHeader }),
          body: z.unknown(),
        },
      },
      async (request, reply) => {
        const startedAt = process.hrtime.bigint();
        const secret = request.headers[secretHeader];
        const result = await ctx.webhook.handle({
          secretToken: typeof secret === "string" ? secret : undefined,
          body: request.body,
        });
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        if (result.isErr()) {
          ctx.metrics.webhookSeconds.observe({ outcome: result.error.type }, seconds);
          return reply.code(webhookErrorStatus(result.error)).send(webhookErrorBody(result.error));
        }
        ctx.metrics.webhookSeconds.observe({ outcome: result.value.kind }, seconds);
        // Read your own writes, as every command does: the events are durable already; wait (bounded) until the
        // read models include them, so a history or balance call right after the webhook shows the payment.
        const head = await ctx.store.headPosition();
        if (head.isOk()) await ctx.settle(head.value);
        if (hasPreCheckout(request.body)) {
          const answeredOk = result.value.kind === "reply" ? String(result.value.body.ok) : "api";
          ctx.metrics.preCheckoutSeconds.observe({ ok: answeredOk }, seconds);
        }
        return reply.code(200).send(result.value.kind === "reply" ? result.value.body : {});
      },
    );
    return Promise.resolve();
  };
