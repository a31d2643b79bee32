import {
  ANY,
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import { describe, expect, it } from "vitest";
import { toEsdbExpectedRevision, toStoreError } from "../src/index.js";
import { exactExpectedRevision } from "../src/esdb-revisions.js";
import { isStreamNotFound, isTransientError, isWrongExpectedVersion } from "../src/store-errors.js";

/** NotLeaderError reads the leader's address from the gRPC trailers; this is the shape it reads. */
const notLeaderTrailers = {
  code: 9,
  details: "Leader info available",
  message: "9 FAILED_PRECONDITION: Leader info available",
  metadata: { getMap: () => ({ "leader-endpoint-host": "node2", "leader-endpoint-port": "2113" }) },
} as unknown as ConstructorParameters<typeof NotLeaderError>[0];

describe("expected revisions", () => {
  it("maps no_stream, any and a revision to the client's", () => {
    expect(toEsdbExpectedRevision("no_stream")).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision("any")).toBe(ANY);
    expect(toEsdbExpectedRevision(7n)).toBe(7n);
    expect(toEsdbExpectedRevision(0n)).toBe(0n);
  });

  it("writes at the exact revision just read, never ANY", () => {
    expect(exactExpectedRevision("no_stream")).toBe(NO_STREAM);
    expect(exactExpectedRevision(12n)).toBe(12n);
  });
});

describe("client errors -> StoreError", () => {
  it("WrongExpectedVersionError is a ConcurrencyError with the stream's actual revision", () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: "payment-1", expected: 2n, current: 5n });
    expect(isWrongExpectedVersion(error)).toBe(true);
    expect(toStoreError(error, "payment-1", 2n)).toEqual({
      type: "ConcurrencyError",
      stream: "payment-1",
      expected: 2n,
      actual: 5n,
    });
  });

  it("a WrongExpectedVersionError on a missing stream reports no_stream", () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: "payment-1",
      expected: 0n,
      current: NO_STREAM,
    });
    expect(toStoreError(error, "payment-1", 0n)).toEqual({
      type: "ConcurrencyError",
      stream: "payment-1",
      expected: 0n,
      actual: "no_stream",
    });
  });

  it("one that carries no actual revision leaves it out", () => {
    const error = toStoreError({ type: "wrong-expected-version", message: "" }, "payment-1", "no_stream");
    expect(error).toEqual({ type: "ConcurrencyError", stream: "payment-1", expected: "no_stream" });
    expect(error).not.toHaveProperty("actual");
  });

  it.each([
    ["UnavailableError", new UnavailableError(undefined, "14 UNAVAILABLE: No connection established"), "unavailable"],
    ["DeadlineExceededError", new DeadlineExceededError(undefined, "4 DEADLINE_EXCEEDED"), "deadline-exceeded"],
    ["TimeoutError", new TimeoutError(undefined, "10 ABORTED: Operation timed out"), "timeout"],
    ["NotLeaderError", new NotLeaderError(notLeaderTrailers), "not-leader"],
    ["CancelledError", new CancelledError(undefined, "1 CANCELLED: server shutting down"), "cancelled"],
    ["UnknownError", new UnknownError(undefined, "2 UNKNOWN: write after end"), "unknown"],
    ["AccessDeniedError", new AccessDeniedError(undefined, "7 PERMISSION_DENIED"), "access-denied"],
    ["StreamDeletedError", StreamDeletedError.fromStreamName("payment-1"), "stream-deleted"],
  ])("%s is StoreUnavailable, naming the client's error type and keeping the cause", (_name, error, type) => {
    const mapped = toStoreError(error, "payment-1", 0n);
    expect(mapped).toMatchObject({ type: "StoreUnavailable" });
    expect(mapped.type === "StoreUnavailable" ? mapped.message : "").toContain(type);
    expect(mapped.type === "StoreUnavailable" ? mapped.cause : undefined).toBe(error);
  });

  it.each([
    [
      "MaxAppendSizeExceededError",
      MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576),
      "maximum-append-size-exceeded",
    ],
    ["InvalidArgumentError", new InvalidArgumentError("3 INVALID_ARGUMENT: bad event"), "invalid-argument"],
  ])("%s is a final InvalidEventData, never retried as an outage", (_name, error, type) => {
    expect(toStoreError(error, "payment-1", 0n)).toEqual({
      type: "InvalidEventData",
      stream: "payment-1",
      message: expect.stringContaining(type) as unknown,
      cause: error,
    });
  });

  it("a plain connection error (no client error type) is StoreUnavailable with its message", () => {
    const error = new Error("Failed to discover after 10 attempts.");
    const mapped = toStoreError(error, "credits-42", "any");
    expect(mapped).toEqual({
      type: "StoreUnavailable",
      message: expect.stringContaining("Failed to discover") as unknown,
      cause: error,
    });
  });

  it("recognises a missing stream, which a read answers as empty", () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, "payment-1"))).toBe(true);
    expect(isStreamNotFound(new UnavailableError(undefined, "x"))).toBe(false);
    expect(isStreamNotFound("stream-not-found")).toBe(false);
  });

  it("retries connection-level failures in subscriptions, not permanent refusals", () => {
    for (const transient of [
      new UnavailableError(undefined, "x"),
      new DeadlineExceededError(undefined, "x"),
      new NotLeaderError(notLeaderTrailers),
      new UnknownError(undefined, "x"),
      new Error("read ECONNRESET"),
    ]) {
      expect(isTransientError(transient)).toBe(true);
    }
    expect(isTransientError(new AccessDeniedError(undefined, "x"))).toBe(false);
    expect(isTransientError(StreamDeletedError.fromStreamName("$all"))).toBe(false);
  });
});
