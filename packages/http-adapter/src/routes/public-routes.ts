import { creditPackages, starsCurrency } from "@starledger/core";
import type { ProjectionStatus, ReadModelStatus } from "@starledger/projections";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { readyLagEventsMax, type AppContext } from "../app-context.js";
import { ConfigResponse } from "../schemas.js";

const Stop = z.object({ position: z.string(), message: z.string() });
const ModelReadiness = z.object({ position: z.string(), stopped: Stop.optional() });
const Ready = z.object({
  ready: z.boolean(),
  store: z.enum(["ok", "unavailable"]),
  projections: z.object({
    position: z.string(),
    headPosition: z.string().nullable(),
    lagEvents: z.number().nullable(),
    lagEventsMax: z.number(),
    caughtUp: z.boolean(),
    failed: Stop.optional(),
    models: z.object({ balances: ModelReadiness, payments: ModelReadiness, unmatchedCharges: ModelReadiness }),
  }),
});

const stopJson = (stop: { position: bigint; message: string }): z.infer<typeof Stop> => ({
  position: stop.position.toString(),
  message: stop.message,
});

const modelJson = (model: ReadModelStatus): z.infer<typeof ModelReadiness> => ({
  position: model.position.toString(),
  ...(model.stopped === undefined ? {} : { stopped: stopJson(model.stopped) }),
});

/**
 * Ready: the store answers, the runner has caught up and follows it, and the models that have not stopped are at
 * most readyLagEventsMax behind its head. A stopped model is reported, not counted: every instance would have it,
 * and a load balancer would drop them all.
 */
const readiness = (headPosition: bigint | null, status: ProjectionStatus): z.infer<typeof Ready> => {
  // The runner may have read past the head it was just told: that is no lag.
  const lagEvents =
    headPosition === null ? null : Number(headPosition > status.position ? headPosition - status.position : 0n);
  return {
    ready: lagEvents !== null && status.caughtUp && lagEvents <= readyLagEventsMax,
    store: headPosition === null ? "unavailable" : "ok",
    projections: {
      position: status.position.toString(),
      headPosition: headPosition === null ? null : headPosition.toString(),
      lagEvents,
      lagEventsMax: readyLagEventsMax,
      caughtUp: status.caughtUp,
      ...(status.failed === undefined ? {} : { failed: stopJson(status.failed) }),
      models: {
        balances: modelJson(status.models.balances),
        payments: modelJson(status.models.payments),
        unmatchedCharges: modelJson(status.models.unmatchedCharges),
      },
    },
  };
};

/** Anyone: payment config, liveness, readiness, metrics. */
export const publicRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.get(
      "/api/payments/config",
      { schema: { tags: ["public"], summary: "Packages, rate and mode", response: { 200: ConfigResponse } } },
      () => ({
        currency: starsCurrency,
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

    app.get(
      "/ready",
      {
        schema: {
          tags: ["public"],
          summary: "Store reachable and projections following it within readyLagEventsMax; stopped read models listed",
          response: { 200: Ready, 503: Ready },
        },
      },
      async (_request, reply) => {
        const head = await ctx.store.headPosition();
        const body = readiness(head.isOk() ? head.value : null, ctx.projections.status());
        return reply.code(body.ready ? 200 : 503).send(body);
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
