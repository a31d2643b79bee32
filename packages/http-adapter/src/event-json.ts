import type { RecordedEvent } from "@starledger/core";

/** A recorded event as JSON (the auditors' feed and the audit export carry the same fields). */
export const eventJson = (event: RecordedEvent) => ({
  id: event.id,
  position: Number(event.position),
  stream: event.stream,
  revision: Number(event.revision),
  type: event.type,
  data: event.data,
  metadata: event.metadata,
  recordedAt: event.recordedAt.toISOString(),
});
