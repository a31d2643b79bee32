import { statsReadModels } from "@starledger/projections";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { refusedAsStopped, sendError, type AppContext } from "../app-context.js";
import { AdminErrorResponses, AdminListQuery, ErrorBody, StatsQuery } from "../schemas.js";

const toDate = (iso: string | undefined): Date | undefined => (iso === undefined ? undefined : new Date(iso));

/** Admins: all payments, as the payments read model lists them, and the statistics over them. */
export const adminPaymentReportRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.get(
      "/api/payments/admin/list",
      {
        schema: {
          tags: ["admin"],
          summary: "All payments, filtered, newest first",
          querystring: AdminListQuery,
          response: {
            ...AdminErrorResponses,
            503: ErrorBody,
            200: z.object({ payments: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }),
          },
        },
      },
      (request, reply) => {
        if (refusedAsStopped(ctx, reply, ["payments"])) return;
        const q = request.query;
        const from = toDate(q.from);
        const to = toDate(q.to);
        const page = ctx.projections.payments.list({
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.userId === undefined ? {} : { userId: q.userId }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
        if (!page.ok) {
          sendError(reply, page.error);
          return;
        }
        void reply.send({ payments: page.page.payments.map((p) => ({ ...p })), nextCursor: page.page.nextCursor });
      },
    );

    app.get(
      "/api/payments/admin/stats",
      {
        schema: {
          tags: ["admin"],
          summary: "Payment statistics: the runbook's key metrics",
          querystring: StatsQuery,
          response: { ...AdminErrorResponses, 503: ErrorBody, 200: z.record(z.string(), z.unknown()) },
        },
      },
      (request, reply) => {
        if (refusedAsStopped(ctx, reply, statsReadModels)) return;
        const from = toDate(request.query.from);
        const to = toDate(request.query.to);
        void reply.send({
          ...ctx.projections.stats({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }),
        });
      },
    );
    return Promise.resolve();
  };
