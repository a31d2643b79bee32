import { creditPackages } from "@starledger/core";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../app-context.js";
import { ConfigResponse } from "../schemas.js";

/** Anyone: payment config, liveness, readiness, metrics. */
export const publicRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.get(
      "/api/payments/config",
      { schema: { tags: ["public"], summary: "Packages, rate and mode", response: { 200: ConfigResponse } } },
      () => ({
        currency: "XTR" as const,
        starsToCreditsRate: ctx.config.STARS_TO_CREDITS_RATE,
        packages: creditPackages(ctx.config.STARS_TO_CREDITS_RATE).map((p) => ({
          id: p.id,
          stars: p.starsAmount,
          credits: p.credits,
          priceUsdApprox: p.priceUsdApprox,
        })),
        mode: ctx.config.PAYMENT_MODE,
      }),
    );

    app.get(
      "/health",
      { schema: { tags: ["public"], summary: "Liveness", response: { 200: z.object({ status: z.literal("ok") }) } } },
      () => ({ status: "ok" as const }),
    );

    const Ready = z.object({
      ready: z.boolean(),
      store: z.enum(["ok", "unavailable"]),
      projections: z.object({
        position: z.string(),
        headPosition: z.string().nullable(),
        caughtUp: z.boolean(),
        failed: z.object({ position: z.string(), message: z.string() }).optional(),
      }),
    });
    app.get(
      "/ready",
      {
        schema: {
          tags: ["public"],
          summary: "Store reachable and projections caught up",
          response: { 200: Ready, 503: Ready },
        },
      },
      async (_request, reply) => {
        const head = await ctx.store.headPosition();
        const status = ctx.projections.status();
        const headPosition = head.isOk() ? head.value : null;
        const caughtUp = status.caughtUp && headPosition !== null && status.position >= headPosition;
        const ready = head.isOk() && caughtUp && status.failed === undefined;
        const body = {
          ready,
          store: head.isOk() ? ("ok" as const) : ("unavailable" as const),
          projections: {
            position: status.position.toString(),
            headPosition: headPosition === null ? null : headPosition.toString(),
            caughtUp,
            ...(status.failed === undefined
              ? {}
              : { failed: { position: status.failed.position.toString(), message: status.failed.message } }),
          },
        };
        return reply.code(ready ? 200 : 503).send(body);
      },
    );

    app.get(
      "/metrics",
      { schema: { tags: ["public"], summary: "Prometheus metrics", hide: false } },
      async (_request, reply) => {
        const text = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(text);
      },
    );
    return Promise.resolve();
  };
