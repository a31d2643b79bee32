import { paymentStream } from "@starledger/core";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, refusedAsStopped, sendError, type AppContext } from "../app-context.js";
import { eventJson } from "../event-json.js";
import {
  AdminErrorResponses,
  ErrorBody,
  IdempotencyKeyHeader,
  PaymentIdParams,
  RecordedEventJson,
} from "../schemas.js";

/** Admins: one payment, with its own events (its audit trail), and its refund. */
export const adminPaymentRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    /** Payments as the payments read model shows them; undefined while it is stopped (it could only show the past). */
    const currentPayment = (paymentId: string) =>
      ctx.projections.stoppedAmong(["payments"]) === undefined ? ctx.projections.payments.get(paymentId) : undefined;

    app.get(
      "/api/payments/admin/:id",
      {
        schema: {
          tags: ["admin"],
          summary: "A payment and its own events (its audit trail)",
          params: PaymentIdParams,
          response: {
            ...AdminErrorResponses,
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
            ...AdminErrorResponses,
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
    return Promise.resolve();
  };
