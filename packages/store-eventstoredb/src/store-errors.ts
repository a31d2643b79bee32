import { ErrorType } from "@eventstore/db-client";
import {
  invalidEventData,
  storeUnavailable,
  type ExpectedRevision,
  type StoreError,
  type StoreUnavailable,
} from "@starledger/core";

/** The client's errors carry a `type` discriminant (ErrorType); matching on it also works across copies of the client. */
const errorTypeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "type" in error && typeof error.type === "string"
    ? error.type
    : undefined;

const messageOf = (error: unknown): string => {
  if (error instanceof Error && error.message !== "") return error.message;
  if (
    typeof error === "object" &&
    error !== null &&
    "message" in error &&
    typeof error.message === "string" &&
    error.message !== ""
  ) {
    return error.message;
  }
  return typeof error === "string" ? error : "no details";
};

/** Connection-level failures worth retrying: the server, a leader or the network is briefly away. */
const transientErrorTypes: ReadonlySet<string> = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
  ErrorType.UNKNOWN,
]);

export const isStreamNotFound = (error: unknown): boolean => errorTypeOf(error) === ErrorType.STREAM_NOT_FOUND;

export const isWrongExpectedVersion = (error: unknown): boolean =>
  errorTypeOf(error) === ErrorType.WRONG_EXPECTED_VERSION;

/**
 * True for failures a subscription retries: the transient command errors, and errors with no `type` at all
 * (gRPC channel and discovery failures surface as plain Errors). Access denied, invalid argument and the like are not.
 */
export const isTransientError = (error: unknown): boolean => {
  const type = errorTypeOf(error);
  return type === undefined || transientErrorTypes.has(type);
};

export const describeEsdbError = (error: unknown): string => {
  const type = errorTypeOf(error);
  return type === undefined ? messageOf(error) : `${type}: ${messageOf(error)}`;
};

export const toStoreUnavailable = (error: unknown, doing: string): StoreUnavailable =>
  storeUnavailable(`EventStoreDB failed ${doing} (${describeEsdbError(error)})`, error);

/** Refusals of the append itself: the same events would be refused again, so they are final, never retried. */
const dataErrorTypes: ReadonlySet<string> = new Set<string>([
  ErrorType.INVALID_ARGUMENT,
  ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED,
]);

const actualRevisionOf = (error: unknown): bigint | "no_stream" | undefined => {
  if (typeof error !== "object" || error === null || !("actualVersion" in error)) return undefined;
  const actual = error.actualVersion;
  return typeof actual === "bigint" || actual === "no_stream" ? actual : undefined;
};

/**
 * A client error as the port's StoreError: WrongExpectedVersionError -> ConcurrencyError (with the actual
 * revision when the error carries one); an invalid argument or an append over the server's size limit ->
 * a final InvalidEventData; everything else (unavailable, deadline, not leader, connection, access denied,
 * deleted stream...) -> StoreUnavailable.
 */
export const toStoreError = (error: unknown, stream: string, expected: ExpectedRevision): StoreError => {
  const type = errorTypeOf(error);
  if (type !== undefined && dataErrorTypes.has(type)) {
    return invalidEventData(stream, `EventStoreDB refused the append to ${stream} (${describeEsdbError(error)})`, {
      cause: error,
    });
  }
  if (isWrongExpectedVersion(error)) {
    const actual = actualRevisionOf(error);
    return actual === undefined
      ? { type: "ConcurrencyError", stream, expected }
      : { type: "ConcurrencyError", stream, expected, actual };
  }
  return toStoreUnavailable(error, `on ${stream}`);
};
