import type { PaymentView } from "@starledger/projections";
import type { CreatedPayment, CreatePaymentRequest } from "@starledger/telegram-adapter";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import {
  callerOf,
  defaultCreateRateLimitPerMinute,
  rateLimitCallersPerWindowMax,
  refusedAsStopped,
  sendError,
  type AppContext,
} from "../app-context.js";
import {
  BalanceResponse,
  CreatePaymentBody,
  CreatePaymentResponse,
  ErrorBody,
  HistoryResponse,
  IdempotencyKeyHeader,
  PageQuery,
} from "../schemas.js";

const historyItem = (p: PaymentView): z.infer<typeof HistoryResponse>["payments"][number] => ({
  paymentId: p.paymentId,
  status: p.status,
  packageId: p.packageId,
  starsAmount: p.starsAmount,
  credits: p.credits,
  createdAt: p.createdAt,
  ...(p.paidAt === null ? {} : { paidAt: p.paidAt }),
  ...(p.refundedAt === null ? {} : { refundedAt: p.refundedAt }),
  ...(p.failureReason === null ? {} : { failureReason: p.failureReason }),
});

/** The request as the create use case takes it. */
const createRequest = (
  request: FastifyRequest,
  body: z.infer<typeof CreatePaymentBody>,
  idempotencyKey: string | undefined,
): CreatePaymentRequest => ({
  userId: callerOf(request).userId,
  packageId: body.packageId,
  starsAmount: body.starsAmount,
  idempotencyKey,
  log: request.log,
});

/** The payment as it is now: a replayed Idempotency-Key may find it PAID, FAILED or REFUNDED. */
const createdBody = ({ payment, invoiceLink }: CreatedPayment) => ({
  paymentId: payment.paymentId,
  status: payment.status,
  packageId: payment.packageId,
  starsAmount: payment.starsAmount,
  credits: payment.credits,
  invoiceLink,
});

const createPaymentSchema = {
  tags: ["user"],
  summary: "Create a payment and its Stars invoice link",
  headers: z.object({ "idempotency-key": IdempotencyKeyHeader.optional() }),
  body: CreatePaymentBody,
  response: {
    201: CreatePaymentResponse,
    400: ErrorBody,
    401: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
    429: ErrorBody,
    502: ErrorBody,
    503: ErrorBody,
  },
};

/** Create a payment and its invoice link; refusals that write nothing are answered before the rate limit counts. */
const createPaymentRoute =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.post(
      "/api/payments/create",
      {
        schema: createPaymentSchema,
        // Runs before the rate limit counts the request: a refused create writes nothing and does not count.
        preHandler: (request, reply, done) => {
          const refusal = ctx.paymentCreation.refusedBeforeLedger(
            createRequest(request, request.body, request.headers["idempotency-key"]),
          );
          if (refusal === undefined) done();
          else sendError(reply, refusal);
        },
        config: {
          rateLimit: {
            max: ctx.createRateLimitPerMinute ?? defaultCreateRateLimitPerMinute,
            timeWindow: 60_000,
            // The route's own counter store; the plugin's default of 5,000 keys would forget callers within a minute.
            cache: rateLimitCallersPerWindowMax,
          },
        },
      },
      async (request, reply) => {
        const created = await ctx.paymentCreation.createWithInvoice(
          createRequest(request, request.body, request.headers["idempotency-key"]),
        );
        if (created.isErr()) {
          // A failed invoice is recorded: the history the client reads next shows it FAILED.
          if (created.error.type === "InvoiceCreationFailed") await ctx.settle(created.error.position);
          return sendError(reply, created.error);
        }
        await ctx.settle(created.value.position);
        return reply.code(201).send(createdBody(created.value));
      },
    );

    return Promise.resolve();
  };

/** The caller's history and balance, from the read models. */
const accountRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.get(
      "/api/payments/history",
      {
        schema: {
          tags: ["user"],
          summary: "The caller's payments, newest first",
          querystring: PageQuery,
          response: { 200: HistoryResponse, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
        },
      },
      (request, reply) => {
        const caller = callerOf(request);
        if (refusedAsStopped(ctx, reply, ["payments"])) return;
        const page = ctx.projections.payments.historyForUser(caller.userId, {
          ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
          ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
        });
        if (!page.ok) {
          sendError(reply, page.error);
          return;
        }
        void reply.send({ payments: page.page.payments.map(historyItem), nextCursor: page.page.nextCursor });
      },
    );

    app.get(
      "/api/credits/balance",
      {
        schema: {
          tags: ["user"],
          summary: "The caller's credit balance",
          response: { 200: BalanceResponse, 401: ErrorBody, 503: ErrorBody },
        },
      },
      (request, reply) => {
        const caller = callerOf(request);
        if (refusedAsStopped(ctx, reply, ["balances"])) return;
        void reply.send({ userId: caller.userId, credits: ctx.projections.balances.get(caller.userId).credits });
      },
    );
    return Promise.resolve();
  };

/** Users: create a payment, see their history and balance. */
export const userRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(createPaymentRoute(ctx));
    await app.register(accountRoutes(ctx));
  };
