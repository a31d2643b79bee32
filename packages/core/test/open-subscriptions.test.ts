import { describe, expect, it } from "vitest";
import { OpenSubscriptions, type Subscription } from "../src/index.js";

/** A subscription that writes down when it is closed, into a log shared with its release. */
const recording = (name: string, log: string[]): Subscription => ({
  close: () => {
    log.push(`${name} closed`);
    return Promise.resolve();
  },
});

describe("a store's open subscriptions", () => {
  it("closing a handle closes its subscription, then releases what it listened with", async () => {
    const log: string[] = [];
    const open = new OpenSubscriptions();
    const handle = open.track(recording("a", log), () => log.push("a released"));
    await handle.close();
    expect(log).toEqual(["a closed", "a released"]);
  });

  it("closeAll closes every subscription still open, and none a caller closed already", async () => {
    const log: string[] = [];
    const open = new OpenSubscriptions();
    const first = open.track(recording("a", log));
    open.track(recording("b", log), () => log.push("b released"));
    await first.close();
    await open.closeAll();
    expect(log).toEqual(["a closed", "b closed", "b released"]);
    await open.closeAll();
    expect(log).toHaveLength(3);
  });
});
