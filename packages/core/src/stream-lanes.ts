import assert from "node:assert/strict";

/** Most commands decided together and appended in one append (one commit) on one stream. */
export const commandsPerBatchMax = 64;
/** Most commands waiting for one stream in one process; beyond it a command is answered StreamBusy at once. */
export const commandsQueuedPerStreamMax = 1_000;

export type LaneLimits = { readonly commandsPerBatchMax: number; readonly commandsQueuedPerStreamMax: number };

/**
 * One queue per stream: the commands for a stream run one batch at a time, in arrival order, so commands to one
 * stream in one process never race each other. A batch is the longest run of queued commands (at most
 * commandsPerBatchMax) that `joins` accepts after the first. `run` settles every job it is given and never
 * throws; a lane disappears when it is empty, so idle streams cost nothing.
 */
export class StreamLanes<Job> {
  private readonly lanes = new Map<string, Job[]>();

  constructor(
    private readonly limits: LaneLimits,
    private readonly joins: (first: Job, next: Job) => boolean,
    private readonly run: (stream: string, batch: readonly Job[]) => Promise<void>,
  ) {
    assert.ok(
      Number.isSafeInteger(limits.commandsPerBatchMax) && limits.commandsPerBatchMax >= 1,
      "a batch holds one command or more",
    );
    assert.ok(
      Number.isSafeInteger(limits.commandsQueuedPerStreamMax) && limits.commandsQueuedPerStreamMax >= 1,
      "a lane queues one command or more",
    );
  }

  /** Queues a job; false when the stream already has commandsQueuedPerStreamMax waiting. */
  enqueue(stream: string, job: Job): boolean {
    const queue = this.lanes.get(stream);
    if (queue !== undefined) {
      if (queue.length >= this.limits.commandsQueuedPerStreamMax) return false;
      queue.push(job);
      return true;
    }
    const fresh = [job];
    this.lanes.set(stream, fresh);
    void this.drain(stream, fresh);
    return true;
  }

  /** Streams with commands queued or running. */
  get busyStreams(): number {
    return this.lanes.size;
  }

  private async drain(stream: string, queue: Job[]): Promise<void> {
    // Commands sent in the same turn as the first (a Promise.all) join its batch.
    await Promise.resolve();
    while (queue.length > 0) await this.run(stream, this.takeBatch(queue));
    this.lanes.delete(stream);
  }

  private takeBatch(queue: Job[]): Job[] {
    const [first] = queue;
    let size = 1;
    while (
      size < queue.length &&
      size < this.limits.commandsPerBatchMax &&
      first !== undefined &&
      this.joins(first, queue[size] as Job)
    ) {
      size++;
    }
    return queue.splice(0, size);
  }
}
