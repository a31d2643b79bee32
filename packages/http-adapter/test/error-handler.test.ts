import { Writable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { errorHandler, RequestRefused } from "../src/http-errors.js";

/** A bare fastify with the app's error handler, whose routes throw what a route, hook or plugin might. */
const appThrowing = (thrown: () => unknown): { app: FastifyInstance; logLines: () => Record<string, unknown>[] } => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const app = Fastify({ logger: { level: "error", stream } });
  app.setErrorHandler(errorHandler);
  app.get("/throws", () => {
    throw thrown();
  });
  return { app, logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
};

let open: FastifyInstance | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe("the error handler answers through the one mapping in http-errors.ts", () => {
  it("a bug in a route is logged and answered 500 InternalError, in the usual error shape", async () => {
    const { app, logLines } = appThrowing(() => new Error("a bug"));
    open = app;
    const response = await app.inject({ method: "GET", url: "/throws" });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      error: "InternalError",
      message: "Internal error; nothing was recorded unless a later read shows it",
    });
    expect(logLines().find((line) => line.msg === "Unhandled error")).toMatchObject({ err: { message: "a bug" } });
  });

  it("a RequestRefused thrown anywhere is answered with its error's status and body", async () => {
    const { app } = appThrowing(() => new RequestRefused({ type: "PaymentNotFound", message: "no such payment" }));
    open = app;
    const response = await app.inject({ method: "GET", url: "/throws" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: "PaymentNotFound", message: "Payment not found" });
  });

  it("another client error fastify raises keeps its 4xx, as BadRequest with its message", async () => {
    const { app, logLines } = appThrowing(() => Object.assign(new Error("Range Not Satisfiable"), { statusCode: 416 }));
    open = app;
    const response = await app.inject({ method: "GET", url: "/throws" });
    expect(response.statusCode).toBe(416);
    expect(response.json()).toEqual({ error: "BadRequest", message: "Range Not Satisfiable" });
    expect(logLines()).toEqual([]);
  });

  it("the rate limiter's plain-object error is answered 429 TooManyRequests with its message", async () => {
    const { app } = appThrowing(() => ({ statusCode: 429, message: "Too many payment requests" }));
    open = app;
    const response = await app.inject({ method: "GET", url: "/throws" });
    expect(response.statusCode).toBe(429);
    expect(response.json()).toEqual({ error: "TooManyRequests", message: "Too many payment requests" });
  });
});
