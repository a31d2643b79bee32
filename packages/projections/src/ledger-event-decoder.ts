import {
  ledgerStreamOf,
  isLedgerEventType,
  isLedgerStream,
  parseLedgerEvent,
  paymentStream,
  type LedgerEvent,
  type RecordedEvent,
} from "@starledger/core";
import { acceptInPlace } from "./compiled-event-parser.js";

/** A recorded event the projections cannot apply. The runner stops on it and reports it; nothing is skipped. */
export class ProjectionError extends Error {
  override readonly name = "ProjectionError";
  constructor(
    readonly position: bigint,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by a read model for an event its history cannot explain; the runner reports it as a ProjectionError. */
export class InconsistentHistoryError extends Error {
  override readonly name = "InconsistentHistoryError";
}

/** An error's message, or the thrown value as text. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const paymentPrefix = paymentStream("");

/** recorded.stream === ledgerStreamOf(event), without building the string for the common case (payment streams, on the replay path). */
const onItsStream = (stream: string, event: LedgerEvent): boolean => {
  if (
    event.type === "CreditsAdjusted" ||
    event.type === "UnmatchedChargeReceived" ||
    event.type === "UnmatchedChargeRefunded"
  ) {
    return stream === ledgerStreamOf(event);
  }
  return (
    stream.length === paymentPrefix.length + event.data.paymentId.length &&
    stream.startsWith(paymentPrefix) &&
    stream.endsWith(event.data.paymentId)
  );
};

/**
 * Turns a recorded event into a ledger event, or undefined for another application's event.
 * An event is foreign only when neither its type nor its stream is the ledger's: anything on a
 * ledger stream, or of a ledger type, must parse and sit on the stream it names, else ProjectionError.
 */
export const decodeRecordedEvent = (recorded: RecordedEvent): LedgerEvent | undefined => {
  const event =
    acceptInPlace(recorded.type, recorded.data, recorded.metadata.schemaVersion) ?? parseOrPassOver(recorded);
  if (event === undefined) return undefined;
  if (!onItsStream(recorded.stream, event)) {
    throw new ProjectionError(
      recorded.position,
      `event at position ${recorded.position}: ${recorded.type} is on stream ${recorded.stream}, expected ${ledgerStreamOf(event)}`,
    );
  }
  return event;
};

/** What the fast path did not accept: passed over when foreign, else parsed by core (upcast), else ProjectionError. */
const parseOrPassOver = (recorded: RecordedEvent): LedgerEvent | undefined => {
  if (!isLedgerEventType(recorded.type) && !isLedgerStream(recorded.stream)) return undefined;
  const parsed = parseLedgerEvent(recorded.type, recorded.data, recorded.metadata.schemaVersion);
  if (!parsed.ok) {
    throw new ProjectionError(
      recorded.position,
      `event at position ${recorded.position} on ${recorded.stream}: ${parsed.error.message}`,
    );
  }
  return parsed.event;
};
