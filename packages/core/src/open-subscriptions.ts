import type { Subscription } from "./event-store.js";

/** A store's open subscriptions, so that closing the store closes every one of them. */
export class OpenSubscriptions {
  private readonly open = new Set<Subscription>();

  /** The caller's handle on `running`: closing it leaves this set, closes the subscription, then runs `release`. */
  track(running: Subscription, release: () => void = () => undefined): Subscription {
    const handle: Subscription = {
      close: async () => {
        this.open.delete(handle);
        await running.close();
        release();
      },
    };
    this.open.add(handle);
    return handle;
  }

  /** Closes every subscription still open. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((subscription) => subscription.close()));
  }
}
