import type { AppendResult, ExpectedRevision, NewEvent, StoreError } from "@starledger/core";
import type { Result } from "neverthrow";

/**
 * Append transactions commit one at a time (they hold the global_head lock through commit), so
 * concurrent appends are grouped: while this many batches are in flight, new appends wait and go
 * together in the next one, one transaction and one WAL flush for all. A lone append never waits.
 */
export const maxInFlightAppendBatches = 2;
export const maxAppendsPerBatch = 64;
export const maxEventsPerBatch = 1_000;

export type PendingAppend = {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: Result<AppendResult, StoreError>) => void;
  readonly reject: (error: unknown) => void;
};

export type AppendRequest = Pick<PendingAppend, "stream" | "events" | "expectedRevision">;

/** Writes a batch; settles every member's promise (resolve or reject) before it resolves. */
export type BatchWriter = (batch: readonly PendingAppend[]) => Promise<void>;

/** Group commit for appends: FIFO, at most maxInFlightAppendBatches batches at once. */
export class AppendBatcher {
  private readonly queue: PendingAppend[] = [];
  private inFlight = 0;

  constructor(private readonly write: BatchWriter) {}

  append(request: AppendRequest): Promise<Result<AppendResult, StoreError>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < maxInFlightAppendBatches && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.write(batch)
        .catch((error: unknown) => {
          for (const pending of batch) pending.reject(error);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  /** The longest prefix of the queue that fits the limits and repeats no event id. */
  private takeBatch(): PendingAppend[] {
    const ids = new Set<string>();
    let events = 0;
    let taken = 0;
    for (const pending of this.queue) {
      const fits =
        taken < maxAppendsPerBatch &&
        events + pending.events.length <= maxEventsPerBatch &&
        pending.events.every((event) => !ids.has(event.id));
      if (taken > 0 && !fits) break;
      for (const event of pending.events) ids.add(event.id);
      events += pending.events.length;
      taken++;
    }
    return this.queue.splice(0, taken);
  }
}
