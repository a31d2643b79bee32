import { randomUUID } from "node:crypto";
import { deterministicEventId, type ExistingPayment } from "@starledger/core";
import type { PaymentView } from "@starledger/projections";
import { starsInvoice } from "@starledger/telegram-adapter";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  callerOf,
  defaultCreateRateLimitPerMinute,
  pendingPaymentsPerUserMax,
  rateLimitCallersPerWindowMax,
  refusedAsStopped,
  sendError,
  type AppContext,
} from "../app-context.js";
import type { Caller } from "../auth.js";
import { invoiceCreationFailed, runbookMessages, type AppError } from "../http-errors.js";
import {
  BalanceResponse,
  CreatePaymentBody,
  CreatePaymentResponse,
  ErrorBody,
  HistoryResponse,
  IdempotencyKeyHeader,
  PageQuery,
} from "../schemas.js";

/** A retried create with the same Idempotency-Key lands on the same payment id, on every instance. */
export const paymentIdFor = (userId: number, idempotencyKey: string | undefined): string =>
  idempotencyKey === undefined ? randomUUID() : deterministicEventId("idempotency", `${userId}:${idempotencyKey}`, 0);

const invoiceText = (payment: ExistingPayment) => ({
  title: `${payment.credits} credits`,
  description: `${payment.credits} credits for ${payment.starsAmount} Telegram Stars (${payment.packageId})`,
});

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

const packageRequest = (body: z.infer<typeof CreatePaymentBody>): { packageId?: string; starsAmount?: number } => ({
  ...(body.packageId === undefined ? {} : { packageId: body.packageId }),
  ...(body.starsAmount === undefined ? {} : { starsAmount: body.starsAmount }),
});

/** The payment as it is now: a replayed Idempotency-Key may find it PAID, FAILED or REFUNDED. */
const created = (payment: ExistingPayment, invoiceLink: string) => ({
  paymentId: payment.paymentId,
  status: payment.status,
  packageId: payment.packageId,
  starsAmount: payment.starsAmount,
  credits: payment.credits,
  invoiceLink,
});

/** A create refused before the ledger sees it: an unknown package, or one unpaid payment too many. */
const refusedBeforeLedger = (
  ctx: AppContext,
  caller: Caller,
  body: z.infer<typeof CreatePaymentBody>,
  key: string | undefined,
): AppError | undefined => {
  const creditPackage = ctx.ledger.resolvePackage(packageRequest(body));
  if (creditPackage.isErr()) return creditPackage.error;
  // A replayed Idempotency-Key answers its payment whatever the user holds now.
  if (key !== undefined && ctx.projections.payments.get(paymentIdFor(caller.userId, key)) !== undefined) return;
  if (ctx.projections.payments.pendingCountForUser(caller.userId, ctx.clock()) < pendingPaymentsPerUserMax) return;
  return {
    type: "TooManyPendingPayments",
    message: `You already have ${pendingPaymentsPerUserMax} unpaid payments, the most allowed: pay one of them or wait until one expires, then create another`,
  };
};

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
          const refusal = refusedBeforeLedger(ctx, callerOf(request), request.body, request.headers["idempotency-key"]);
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
        const caller = callerOf(request);
        const key = request.headers["idempotency-key"];
        const now = ctx.clock();
        const paymentId = paymentIdFor(caller.userId, key);
        const body = request.body;
        const result = await ctx.ledger.createPayment({
          paymentId,
          userId: caller.userId,
          ...packageRequest(body),
          now,
        });
        if (result.isErr()) {
          if (result.error.type === "PaymentAlreadyExists") {
            return sendError(reply, {
              type: "IdempotencyConflict",
              message: "This Idempotency-Key was already used with a different request body",
            });
          }
          return sendError(reply, result.error);
        }
        const { payment } = result.value;
        if (result.value.created) {
          request.log.info(
            { paymentId, userId: caller.userId, starsAmount: payment.starsAmount, credits: payment.credits },
            "Payment record created",
          );
        }
        if (payment.invoiceLink !== undefined) {
          await ctx.settle(result.value.position);
          return reply.code(201).send(created(payment, payment.invoiceLink));
        }
        if (payment.status === "FAILED") {
          return sendError(reply, {
            type: "InvoiceCreationFailed",
            message: runbookMessages.invoiceFailed,
            details: { failureReason: payment.failureReason },
          });
        }
        const link = await ctx.botApi.createInvoiceLink(
          starsInvoice({ ...invoiceText(payment), payload: paymentId, starsAmount: payment.starsAmount }),
        );
        if (link.isErr()) {
          const failed = await ctx.ledger.recordInvoiceCreationFailed(paymentId, link.error.message, ctx.clock());
          request.log.error(
            { paymentId, userId: caller.userId, reason: "invoice_creation_failed", telegram: link.error.message },
            "Payment marked as failed",
          );
          if (failed.isErr()) return sendError(reply, failed.error);
          await ctx.settle(failed.value.position);
          return sendError(reply, invoiceCreationFailed(link.error));
        }
        const issued = await ctx.ledger.recordInvoiceIssued(paymentId, link.value, ctx.clock());
        if (issued.isErr()) {
          // A concurrent identical request recorded its link first: answer with that one.
          const current = await ctx.ledger.getPayment(paymentId);
          if (current.isOk() && current.value.invoiceLink !== undefined)
            return reply.code(201).send(created(current.value, current.value.invoiceLink));
          return sendError(reply, issued.error);
        }
        await ctx.settle(issued.value.position);
        return reply.code(201).send(created(issued.value.payment, link.value));
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
