import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../app-context.js";
import { adminCreditRoutes } from "./admin-credit-routes.js";
import { adminEventFeedRoutes } from "./admin-event-feed-routes.js";
import { adminPaymentReportRoutes } from "./admin-payment-report-routes.js";
import { adminPaymentRoutes } from "./admin-payment-routes.js";

/** Admins: the payment list, stats, a payment's audit trail, refunds, credit adjustments, the event feed. */
export const adminRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(adminPaymentReportRoutes(ctx));
    await app.register(adminPaymentRoutes(ctx));
    await app.register(adminCreditRoutes(ctx));
    await app.register(adminEventFeedRoutes(ctx));
  };
