import { Readable } from "node:stream";
import { paymentStream } from "@starledger/core";
import { statsReadModels } from "@starledger/projections";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, refusedAsStopped, sendError, type AppContext } from "../app-context.js";
import { eventJson } from "../event-json.js";
import {
  AdjustCreditsBody,
  AdjustCreditsResponse,
  AdminListQuery,
  ErrorBody,
  eventsPageDefault,
  EventsQuery,
  IdempotencyKeyHeader,
  PaymentIdParams,
  RecordedEventJson,
  StatsQuery,
} from "../schemas.js";

const toDate = (iso: string | undefined): Date | undefined => (iso === undefined ? undefined : new Date(iso));

/** Admins: the payment list, stats, a payment's audit trail, refunds, credit adjustments, the event feed. */
export const adminRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    const adminErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
    /** Payments as the payments read model shows them; undefined while it is stopped (it could only show the past). */
    const currentPayment = (paymentId: string) =>
      ctx.projections.stoppedAmong(["payments"]) === undefined ? ctx.projections.payments.get(paymentId) : undefined;

    app.get(
      "/api/payments/admin/list",
      {
        schema: {
          tags: ["admin"],
          summary: "All payments, filtered, newest first",
          querystring: AdminListQuery,
          response: {
            ...adminErrors,
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
          response: { ...adminErrors, 503: ErrorBody, 200: z.record(z.string(), z.unknown()) },
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

    app.get(
      "/api/payments/admin/:id",
      {
        schema: {
          tags: ["admin"],
          summary: "A payment and its own events (its audit trail)",
          params: PaymentIdParams,
          response: {
            ...adminErrors,
            404: ErrorBody,
            503: ErrorBody,
            200: z.object({
              payment: z.record(z.string(), z.unknown()),
              events: z.array(
                RecordedEventJson.pick({
                  type: true,
                  data: true,
                  position: true,
                  revision: true,
                  recordedAt: true,
                }).extend({ metadata: z.record(z.string(), z.unknown()) }),
              ),
            }),
          },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        if (refusedAsStopped(ctx, reply, ["payments"])) return reply;
        const payment = ctx.projections.payments.get(id);
        if (payment === undefined) return sendError(reply, { type: "PaymentNotFound", message: "Payment not found" });
        const read = await ctx.store.readStream(paymentStream(id));
        if (read.isErr()) return sendError(reply, read.error);
        const events = read.value.events.map((e) => {
          const json = eventJson(e);
          return {
            type: json.type,
            data: json.data,
            position: json.position,
            revision: json.revision,
            recordedAt: json.recordedAt,
            metadata: json.metadata,
          };
        });
        return reply.send({ payment: { ...payment }, events });
      },
    );

    app.post(
      "/api/payments/admin/:id/refund",
      {
        schema: {
          tags: ["admin"],
          summary: "Refund a paid payment through Telegram, then record it",
          params: PaymentIdParams,
          headers: z.object({ "idempotency-key": IdempotencyKeyHeader.optional() }),
          response: {
            ...adminErrors,
            404: ErrorBody,
            409: ErrorBody,
            422: ErrorBody,
            502: ErrorBody,
            503: ErrorBody,
            200: z.object({ payment: z.record(z.string(), z.unknown()) }),
          },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        const refunded = await ctx.adminRefund.refund({
          paymentId: id,
          admin: callerOf(request).subject,
          idempotencyKey: request.headers["idempotency-key"],
          log: request.log,
        });
        if (refunded.isErr()) return sendError(reply, refunded.error);
        await ctx.settle(refunded.value);
        return reply.send({
          payment: { ...(currentPayment(id) ?? { paymentId: id, status: "REFUNDED" }) },
        });
      },
    );

    app.post(
      "/api/credits/admin/adjust",
      {
        schema: {
          tags: ["admin"],
          summary: "Manual credit adjustment (the runbook's emergency procedure)",
          headers: z.object({ "idempotency-key": IdempotencyKeyHeader.optional() }),
          body: AdjustCreditsBody,
          response: { ...adminErrors, 201: AdjustCreditsResponse, 422: ErrorBody, 503: ErrorBody },
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

    app.get(
      "/api/events",
      {
        schema: {
          tags: ["admin"],
          summary: "The auditors' feed: recorded events as NDJSON in global order",
          querystring: EventsQuery,
          response: { ...adminErrors },
        },
      },
      (request, reply) => {
        const after = request.query.after ?? 0n;
        const limit = request.query.limit ?? eventsPageDefault;
        const lines = async function* () {
          for await (const event of ctx.store.readAll({ after, limit })) yield `${JSON.stringify(eventJson(event))}\n`;
        };
        // Fastify streams a Readable as is; the response schema does not apply to it.
        void reply
          .type("application/x-ndjson")
          .send(Readable.from(lines()) as unknown as { error: string; message: string });
      },
    );
    return Promise.resolve();
  };
