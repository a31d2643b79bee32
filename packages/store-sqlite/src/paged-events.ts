import type { RecordedEvent } from "@starledger/core";

export type ReadPage = (after: bigint, limit: number) => RecordedEvent[];

/**
 * readAll's iterator: reads a page when the last one is used up, and lets queued appends commit between pages
 * of a long read. Written out rather than as an async generator, which costs more per event on the replay
 * path (a suspended generator resumed, and its promises, for every event).
 */
export class PagedEvents implements AsyncIterator<RecordedEvent> {
  private page: RecordedEvent[] = [];
  private index = 0;
  private started = false;
  private finished = false;

  constructor(
    private readonly readPage: ReadPage,
    private after: bigint,
    private remaining: number,
    private readonly pageSize: number,
  ) {}

  next(): Promise<IteratorResult<RecordedEvent>> {
    const event = this.page[this.index];
    if (event !== undefined) {
      this.index++;
      return Promise.resolve({ done: false, value: event });
    }
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    if (!this.started) {
      this.started = true;
      return new Promise((resolve) => {
        resolve(this.load());
      });
    }
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.load());
  }

  return(): Promise<IteratorResult<RecordedEvent>> {
    return Promise.resolve(this.finish());
  }

  /** Reads the next page and answers its first event; a store failure rejects next() and ends the iteration. */
  private load(): IteratorResult<RecordedEvent> {
    if (this.finished || this.remaining <= 0) return this.finish();
    const size = Math.min(this.pageSize, this.remaining);
    let page: RecordedEvent[];
    try {
      page = this.readPage(this.after, size);
    } catch (error) {
      this.finish();
      throw error;
    }
    const first = page[0];
    const last = page[page.length - 1];
    if (first === undefined || last === undefined) return this.finish();
    this.remaining -= page.length;
    if (page.length < size) this.finished = true;
    this.after = last.position;
    this.page = page;
    this.index = 1;
    return { done: false, value: first };
  }

  private finish(): IteratorResult<RecordedEvent> {
    this.finished = true;
    this.page = [];
    this.index = 0;
    return { done: true, value: undefined };
  }
}
