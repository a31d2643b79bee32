import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { wellFormedTextMessage } from "@starledger/core";
import { createAdminRefund, createPaymentCreation } from "@starledger/telegram-adapter";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { err, type Result } from "neverthrow";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import {
  bodyLimitBytes,
  deadlineCheckIntervalMs,
  defaultReadYourWritesTimeoutMs,
  requestBodyDeadlineMs,
  requestHeadersDeadlineMs,
  sendError,
  type AppContext,
  type AppDeps,
} from "./app-context.js";
import { authenticate, requireAdmin, type AuthSettings, type Caller } from "./auth.js";
import { clientErrorHandler } from "./client-errors.js";
import { errorHandler, type AppError } from "./http-errors.js";
import { acceptJsonOnly } from "./json-body.js";
import { AuthorizationHeader } from "./schemas.js";
import { adminRoutes } from "./routes/admin-routes.js";
import { publicRoutes } from "./routes/public-routes.js";
import { userRoutes } from "./routes/user-routes.js";
import { webhookRoutes } from "./routes/webhook-routes.js";

export type BuildAppOptions = {
  /** A pino logger (serve) or fastify logger options (tests: false). */
  readonly logger?: FastifyBaseLogger | FastifyServerOptions["logger"];
  /** Default requestBodyDeadlineMs; tests of the deadline shorten it. */
  readonly requestBodyDeadlineMs?: number;
};

/** Paths and fields the logger never prints. */
export const redactedLogPaths = [
  "req.headers.authorization",
  'req.headers["x-telegram-bot-api-secret-token"]',
  "token",
  "botToken",
  "secret",
  "authSecret",
];

const isPinoLike = (logger: unknown): logger is FastifyBaseLogger =>
  typeof logger === "object" && logger !== null && "child" in logger && typeof logger.child === "function";

/** A path whose percent-encoding is not UTF-8 (a lone surrogate sent as %ED%A0%80): the project's 400 shape. */
const badUrlComponent: FastifyServerOptions["frameworkErrors"] = (error, _request, reply) => {
  sendError(reply, { type: "InvalidRequest", message: `Invalid path: ${error.message}` });
};

/** The caller named by the Authorization header: 400 when the header is not well-formed text, else auth.ts decides. */
const authenticateRequest = async (
  request: FastifyRequest,
  settings: AuthSettings,
  now: Date,
): Promise<Result<Caller, AppError>> => {
  const header = AuthorizationHeader.safeParse(request.headers.authorization);
  if (!header.success) {
    return err({ type: "InvalidRequest", message: `Invalid headers: authorization ${wellFormedTextMessage}` });
  }
  return authenticate(header.data, settings, now);
};

/** The fastify server with its deadlines, body limit, JSON-only bodies and zod compilers; no routes yet. */
const createServer = (options: BuildAppOptions) => {
  const loggerOption = options.logger ?? false;
  const bodyDeadlineMs = options.requestBodyDeadlineMs ?? requestBodyDeadlineMs;
  const headersDeadlineMs = Math.min(requestHeadersDeadlineMs, bodyDeadlineMs);
  const app = Fastify({
    ...(isPinoLike(loggerOption) ? { loggerInstance: loggerOption } : { logger: loggerOption }),
    bodyLimit: bodyLimitBytes,
    requestTimeout: bodyDeadlineMs,
    http: {
      requestTimeout: bodyDeadlineMs,
      headersTimeout: headersDeadlineMs,
      connectionsCheckingInterval: Math.min(deadlineCheckIntervalMs, bodyDeadlineMs),
    },
    clientErrorHandler: clientErrorHandler({ headersDeadlineMs, requestBodyDeadlineMs: bodyDeadlineMs }),
    return503OnClosing: true,
    forceCloseConnections: "idle",
    frameworkErrors: badUrlComponent,
  }).withTypeProvider<ZodTypeProvider>();
  // A keep-alive connection whose request was in flight when close() began would otherwise stay open after its
  // response, holding close() (and SIGTERM) for the whole keepAliveTimeout: answer it with Connection: close.
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) void reply.header("connection", "close");
    done(null, payload);
  });
  acceptJsonOnly(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  return app;
};

type App = ReturnType<typeof createServer>;

/** The deps, the clock, the use cases the routes translate to and from HTTP, and read-your-writes. */
const appContext = (deps: AppDeps): AppContext => {
  const clock = deps.now ?? (() => new Date());
  const timeoutMs = deps.readYourWritesTimeoutMs ?? defaultReadYourWritesTimeoutMs;
  return {
    ...deps,
    clock,
    paymentCreation: createPaymentCreation({
      ledger: deps.ledger,
      botApi: deps.botApi,
      payments: deps.projections.payments,
      now: clock,
    }),
    adminRefund: createAdminRefund({ ledger: deps.ledger, botApi: deps.botApi, now: clock }),
    settle: async (position) => {
      if (position === undefined) return;
      await deps.projections.waitFor(position, timeoutMs);
    },
  };
};

/** The OpenAPI document (/openapi.json) generated from the route schemas, and its UI (/docs). */
const registerDocs = async (app: App): Promise<void> => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: "starledger",
        description: "Event-sourced credits ledger for Telegram Stars payments",
        version: "0.1.0",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          tma: { type: "apiKey", in: "header", name: "Authorization", description: "tma <Telegram Mini App initData>" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
};

/** The rate limit plugin, off by default: a route opts in, counting per user once authenticated, else per IP. */
const registerRateLimit = async (app: App): Promise<void> => {
  await app.register(rateLimit, {
    global: false,
    hook: "preHandler",
    keyGenerator: (request) => (request.caller === undefined ? request.ip : `user:${request.caller.userId}`),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: "TooManyRequests",
      message: `Too many payment requests: at most ${context.max} per minute, retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
};

/** Routes that run only for a caller `authorize` accepts: any other request is answered with its error. */
const authorizedRoutes =
  (
    authorize: (request: FastifyRequest) => Promise<Result<Caller, AppError>>,
    routes: FastifyPluginAsyncZod,
  ): FastifyPluginAsyncZod =>
  async (scope) => {
    scope.addHook("preHandler", async (request, reply) => {
      const caller = await authorize(request);
      if (caller.isErr()) return sendError(reply, caller.error);
      request.caller = caller.value;
    });
    await scope.register(routes);
  };

/** The fastify app: one factory, so tests wire in-memory parts and `serve` wires real ones. */
export const buildApp = async (deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> => {
  const app = createServer(options);
  const ctx = appContext(deps);

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, { type: "NotFound", message: `No route ${request.method} ${request.url.split("?")[0] ?? ""}` }),
  );

  await registerDocs(app);
  await registerRateLimit(app);

  await app.register(publicRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  const user = (request: FastifyRequest) => authenticateRequest(request, deps.auth, ctx.clock());
  const admin = async (request: FastifyRequest) => (await user(request)).andThen(requireAdmin);
  await app.register(authorizedRoutes(user, userRoutes(ctx)));
  await app.register(authorizedRoutes(admin, adminRoutes(ctx)));
  return app;
};
