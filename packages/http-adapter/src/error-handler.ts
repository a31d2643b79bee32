import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { sendError } from "./app-context.js";
import { RequestRefused } from "./http-errors.js";

/** @fastify/rate-limit throws its errorResponseBuilder's plain object, not an Error: read `message` from either. */
const errorMessage = (error: unknown, fallback: string): string => {
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === "string" && message !== "" ? message : fallback;
};

/** No query parameter takes a list, so `?limit=100&limit=1` (parsed as an array) is named for what it is. */
const repeatedQueryParameter = (context: string | undefined, path: string, query: unknown): string | undefined => {
  if (context !== "querystring" || typeof query !== "object" || query === null) return undefined;
  const name = path.slice(1);
  return Array.isArray((query as Record<string, unknown>)[name]) ? "given more than once" : undefined;
};

/** Fastify's errors (validation, body parsing, rate limit) answered through the one mapping in http-errors.ts. */
export const errorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const problems = error.validation.map((v) => ({
      path: v.instancePath,
      message: repeatedQueryParameter(error.validationContext, v.instancePath, request.query) ?? v.message,
    }));
    return sendError(reply, {
      type: "InvalidRequest",
      message: `Invalid ${error.validationContext ?? "request"}: ${problems.map((p) => `${p.path || "/"} ${p.message ?? ""}`.trim()).join("; ")}`,
      details: problems,
    });
  }
  if (error instanceof RequestRefused) return sendError(reply, error.refusal);
  const code = (error as { code?: string }).code;
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return sendError(reply, {
      type: "PayloadTooLarge",
      message: `Body larger than ${request.routeOptions.bodyLimit} bytes`,
    });
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return sendError(reply, { type: "UnsupportedMediaType", message: "Send Content-Type: application/json" });
  if (statusCode === 429)
    return sendError(reply, { type: "TooManyRequests", message: errorMessage(error, "Too many requests") });
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return reply.code(statusCode).send({ error: "BadRequest", message: errorMessage(error, "Bad request") });
  }
  request.log.error({ err: error }, "Unhandled error");
  return reply
    .code(500)
    .send({ error: "InternalError", message: "Internal error; nothing was recorded unless a later read shows it" });
};
