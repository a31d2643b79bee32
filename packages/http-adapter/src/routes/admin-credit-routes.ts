import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, sendError, type AppContext } from "../app-context.js";
import {
  AdjustCreditsBody,
  AdjustCreditsResponse,
  AdminErrorResponses,
  ErrorBody,
  IdempotencyKeyHeader,
} from "../schemas.js";

/** Admins: the manual credit adjustment. */
export const adminCreditRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.post(
      "/api/credits/admin/adjust",
      {
        schema: {
          tags: ["admin"],
          summary: "Manual credit adjustment (the runbook's emergency procedure)",
          headers: z.object({ "idempotency-key": IdempotencyKeyHeader.optional() }),
          body: AdjustCreditsBody,
          response: { ...AdminErrorResponses, 201: AdjustCreditsResponse, 422: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { userId, delta, reason } = request.body;
        const idempotencyKey = request.headers["idempotency-key"];
        const adjusted = await ctx.ledger.adjustCredits({
          userId,
          delta,
          reason,
          admin: caller.subject,
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
          now: ctx.clock(),
        });
        if (adjusted.isErr()) return sendError(reply, adjusted.error);
        await ctx.settle(adjusted.value.position);
        const fields = { userId, delta, reason, admin: caller.subject, idempotencyKey };
        if (adjusted.value.replayed)
          request.log.info(fields, "Credit adjustment already made with this Idempotency-Key");
        else request.log.info(fields, "Credits adjusted");
        // While the balances model is stopped it cannot show the new balance: the adjustment is recorded all the same.
        const credits =
          ctx.projections.stoppedAmong(["balances"]) === undefined
            ? ctx.projections.balances.get(userId).credits
            : null;
        return reply.code(201).send({ userId, delta, credits });
      },
    );
    return Promise.resolve();
  };
