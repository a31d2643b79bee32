import {
  jsonEvent,
  START,
  type AllStreamResolvedEvent,
  type EventData,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from "@eventstore/db-client";
import {
  isLedgerStream,
  type EventMetadata,
  type JsonObject,
  type NewEvent,
  type RecordedEvent,
} from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

/** What the client yields from readStream, readAll and subscribeToAll. */
export type EsdbResolvedEvent = ResolvedEvent | AllStreamResolvedEvent;

/** Positions are signed 64-bit on the server; "no position" arrives as -1 read unsigned (2^64 - 1). */
const firstInvalidPosition = 2n ** 63n;

/**
 * Metadata key carrying the id of the append attempt that wrote an event (on the last event of a batch only).
 * The server answers a racing duplicate of a batch with success, as if it had written it; reading the event
 * back and comparing this id is how a writer learns whether the write was its own. Stripped on read.
 */
export const appendIdKey = "starledgerAppendId";

export const toEventData = (event: NewEvent, appendId?: string): EventData =>
  jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: appendId === undefined ? event.metadata : { ...event.metadata, [appendIdKey]: appendId },
  });

/** The append attempt that wrote this event, when it was the last of its batch. */
export const appendIdOf = (resolved: EsdbResolvedEvent): string | undefined => {
  const metadata = resolved.event?.metadata;
  if (typeof metadata !== "object" || Array.isArray(metadata) || metadata instanceof Uint8Array) return undefined;
  const id = metadata[appendIdKey];
  return typeof id === "string" ? id : undefined;
};

/** The raw $all position of any record the client returns (ours or not), to page from. */
export const rawPosition = (resolved: EsdbResolvedEvent): Position | undefined => {
  const position = resolved.event?.position;
  if (position !== undefined && position.commit < firstInvalidPosition) return position;
  const commit = resolved.commitPosition;
  return commit === undefined || commit >= firstInvalidPosition ? undefined : { commit, prepare: commit };
};

/**
 * A ledger event's global position: its commit position in $all. Every append through gRPC is an implicit
 * transaction whose events commit themselves, so each event's commit position equals its own prepare
 * (log) position: unique and strictly increasing, even for events appended in one batch. An event written
 * in a legacy explicit transaction shares its commit position with the rest of that transaction; it is
 * refused rather than given a position that would make `after` skip its neighbours.
 */
export const ledgerPosition = (resolved: EsdbResolvedEvent): Result<bigint, string> => {
  const raw = rawPosition(resolved);
  if (raw === undefined) {
    return err("carries no $all position (stream reads report one from EventStoreDB 22.6 on)");
  }
  if (raw.commit !== raw.prepare) {
    return err(
      `was written in an explicit transaction (commit ${raw.commit}, prepare ${raw.prepare}), which this store does not read`,
    );
  }
  if (raw.commit <= 0n) return err(`has position ${raw.commit}; ledger positions are greater than 0`);
  return ok(raw.commit);
};

/** Ours: a non-system event type on one of the ledger's stream prefixes (system streams start with "$"). */
export const isLedgerEvent = (resolved: EsdbResolvedEvent): boolean => {
  const event = resolved.event;
  return event !== undefined && !event.type.startsWith("$") && isLedgerStream(event.streamId);
};

const Metadata = z.looseObject({
  schemaVersion: z.number().int().nonnegative(),
  correlationId: z.string().exactOptional(),
  causationId: z.string().exactOptional(),
  prevHash: z.string().exactOptional(),
  hash: z.string().exactOptional(),
});

const EsdbRecordedEvent = z.object({
  streamId: z.string().min(1),
  id: z.string().min(1),
  revision: z.bigint().nonnegative(),
  type: z.string().min(1),
  created: z.date(),
  isJson: z.literal(true, { error: "is not a JSON event" }),
  data: z.record(z.string(), z.unknown(), { error: "data is not a JSON object" }),
  metadata: Metadata,
});

/** Parses what the server returned, once, into a RecordedEvent; the message says what is wrong. */
export const parseRecordedEvent = (resolved: EsdbResolvedEvent): Result<RecordedEvent, string> => {
  const label = resolved.event === undefined ? "a record" : `event ${resolved.event.id} in ${resolved.event.streamId}`;
  if (resolved.event === undefined) return err(`${label} has no event (an unresolved link?)`);
  const parsed = EsdbRecordedEvent.safeParse(resolved.event);
  if (!parsed.success) return err(`${label} is not a starledger event: ${z.prettifyError(parsed.error)}`);
  const position = ledgerPosition(resolved);
  if (position.isErr()) return err(`${label} ${position.error}`);
  const { streamId, id, revision, type, created, data, metadata } = parsed.data;
  const { [appendIdKey]: _appendId, ...metadataOut } = metadata satisfies EventMetadata;
  const dataOut: JsonObject = data;
  return ok({
    id,
    type,
    data: dataOut,
    metadata: metadataOut,
    stream: streamId,
    revision,
    position: position.value,
    recordedAt: created,
  });
};

/** Where to start a forward read or subscription so that `after` (a ledger position) is the last one not delivered. */
export const toReadPosition = (after: bigint): ReadPosition =>
  after <= 0n ? START : { commit: after, prepare: after };

export const comparePositions = (a: Position, b: Position): number => {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
};
