import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { toHttpError, type AppError } from "./http-errors.js";

type ConnectionError = Error & { readonly code?: string };

export type RequestDeadlines = { readonly headersDeadlineMs: number; readonly requestBodyDeadlineMs: number };

const clientErrorOf = (error: ConnectionError, limits: RequestDeadlines): AppError => {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        type: "RequestTimeout",
        message: `Request too slow: its headers must arrive within ${limits.headersDeadlineMs} ms and all of it within ${limits.requestBodyDeadlineMs} ms`,
      };
    case "HPE_HEADER_OVERFLOW":
      return { type: "RequestHeadersTooLarge", message: `Request headers larger than ${maxHeaderSize} bytes` };
    default:
      return { type: "InvalidRequest", message: "Malformed HTTP request" };
  }
};

/**
 * What Node refuses before fastify sees a request (a request too slow, headers too large, broken HTTP) is answered in
 * the same {error, message} shape as everything else, and its connection is closed.
 */
export const clientErrorHandler = (limits: RequestDeadlines) =>
  function (this: FastifyInstance, error: ConnectionError, socket: Socket): void {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const { status, body } = toHttpError(clientErrorOf(error, limits));
    this.log.debug({ err: error, status }, "Client error answered before routing");
    const json = JSON.stringify(body);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      () => socket.destroy(),
    );
  };
