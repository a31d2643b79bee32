import { err, ok, type Result } from "neverthrow";
import { invalidEventData, type InvalidEventData, type NewEvent } from "./event-store.js";
import { isWellFormedText, wellFormedTextMessage } from "./well-formed-text.js";

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `path.key`, or `path["key"]` with the key JSON-escaped, so a path never carries the bad text itself. */
const member = (path: string, key: string): string =>
  identifier.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/** The path of the first key or string value in `value` that is not well-formed text; undefined when there is none. */
const firstIllFormed = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return isWellFormedText(value) ? undefined : path;
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = firstIllFormed(value[index], `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!isWellFormedText(key)) return `${member(path, key)} (a key)`;
    const found = firstIllFormed((value as Record<string, unknown>)[key], member(path, key));
    if (found !== undefined) return found;
  }
  return undefined;
};

const firstIllFormedField = (stream: string, events: readonly NewEvent[]): string | undefined => {
  if (!isWellFormedText(stream)) return "stream";
  for (const [index, event] of events.entries()) {
    const at = `events[${index}]`;
    const found =
      firstIllFormed(event.id, `${at}.id`) ??
      firstIllFormed(event.type, `${at}.type`) ??
      firstIllFormed(event.data, `${at}.data`) ??
      firstIllFormed(event.metadata, `${at}.metadata`);
    if (found !== undefined) return found;
  }
  return undefined;
};

/**
 * The one check every store makes before it writes (and before it reads a stream by name): the stream name, and
 * each event's id, type and every key and string value of its data and metadata, must be text the store can give
 * back identically. Otherwise a final InvalidEventData naming the field, and the store writes nothing.
 */
export const checkStorable = (stream: string, events: readonly NewEvent[] = []): Result<void, InvalidEventData> => {
  const field = firstIllFormedField(stream, events);
  if (field === undefined) return ok(undefined);
  const where =
    field === "stream"
      ? `The stream name ${JSON.stringify(stream)}`
      : `${field} of an event for ${JSON.stringify(stream)}`;
  return err(invalidEventData(stream, `${where} ${wellFormedTextMessage}; nothing was written`, { field }));
};
