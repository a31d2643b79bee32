import type { Decider } from "./decider.js";
import { deterministicEventId, randomEventId } from "./event-ids.js";
import type { NewEvent } from "./event-store.js";
import { currentSchemaVersion, isLedgerEventType, type LedgerEvent } from "./events.js";
import { eventHash } from "./hash-chain.js";
import { naturalKeyEventId } from "./natural-keys.js";
import { nextRevision } from "./stream-states.js";

export type CommandContext = {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** A natural key (a charge id, an idempotency key): makes the event ids deterministic, so a retried append is recognised. */
  readonly idempotencyKey?: string;
};

/**
 * A decision's events as the store receives them, placed after `revision`: the hash chain continues from
 * `lastHash`; a keyed event's id comes from its natural key alone, any other from the command's idempotency key
 * and the event's revision (or is random). The same command at the same revision always gives the same events.
 */
export const toNewEvents = <Command, Event extends LedgerEvent, State, Error>(
  decider: Decider<Command, Event, State, Error>,
  stream: string,
  events: readonly Event[],
  at: { readonly revision: bigint | "no_stream"; readonly lastHash: string },
  context: CommandContext,
): NewEvent[] => {
  const firstRevision = nextRevision(at.revision);
  let prevHash = at.lastHash;
  return events.map((event, index) => {
    const eventRevision = firstRevision + BigInt(index);
    const hash = eventHash({ stream, revision: eventRevision, type: event.type, data: event.data, prevHash });
    const naturalKey = decider.naturalKeyOf?.(event);
    const id =
      naturalKey !== undefined
        ? naturalKeyEventId(naturalKey)
        : context.idempotencyKey === undefined
          ? randomEventId()
          : deterministicEventId(stream, `${context.idempotencyKey}@${eventRevision}`, index);
    const metadata = {
      schemaVersion: isLedgerEventType(event.type) ? currentSchemaVersion[event.type] : 1,
      ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
      prevHash,
      hash,
    };
    prevHash = hash;
    return { id, type: event.type, data: event.data, metadata };
  });
};

/** Event id -> natural key, for the events of a decision that claim one. */
export const keyedIds = <Command, Event extends LedgerEvent, State, Error>(
  decider: Decider<Command, Event, State, Error>,
  events: readonly Event[],
  toAppend: readonly NewEvent[],
): ReadonlyMap<string, string> => {
  const keys = new Map<string, string>();
  events.forEach((event, index) => {
    const key = decider.naturalKeyOf?.(event);
    const id = toAppend[index]?.id;
    if (key !== undefined && id !== undefined) keys.set(id, key);
  });
  return keys;
};
