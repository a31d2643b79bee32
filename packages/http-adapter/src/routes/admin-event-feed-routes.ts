import { Readable } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../app-context.js";
import { eventJson } from "../event-json.js";
import { AdminErrorResponses, eventsPageDefault, EventsQuery } from "../schemas.js";

/** Admins (and auditors): every recorded event, in global order. */
export const adminEventFeedRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  (app) => {
    app.get(
      "/api/events",
      {
        schema: {
          tags: ["admin"],
          summary: "The auditors' feed: recorded events as NDJSON in global order",
          querystring: EventsQuery,
          response: { ...AdminErrorResponses },
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
