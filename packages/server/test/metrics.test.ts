import { InMemoryEventStore } from "@starledger/core";
import { createProjections } from "@starledger/projections";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "@starledger/http-adapter";
import { startTestApp, type TestApp } from "./support/test-app.js";

// prom-client samples the event loop with a timer and watches GC with an observer, and never stops either.
const processMetricNames = [
  "starledger_process_nodejs_eventloop_lag_p99_seconds",
  "starledger_process_nodejs_gc_duration_seconds",
];

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe("process metrics", () => {
  it("are sampled once per process: every app built in it shares one event-loop sampler and one GC observer", () => {
    const first = createMetrics(createProjections(new InMemoryEventStore()));
    const second = createMetrics(createProjections(new InMemoryEventStore()));
    for (const name of processMetricNames) {
      expect(first.registry.getSingleMetric(name), name).toBeDefined();
      expect(second.registry.getSingleMetric(name), name).toBe(first.registry.getSingleMetric(name));
    }
  });

  it("each app's /metrics shows the process metrics and its own ledger's counters, not another app's", async () => {
    const [busy, idle] = [await startTestApp(), await startTestApp()];
    apps.push(busy, idle);
    await busy.createPayment(42);
    const counted = (text: string) => /^starledger_payments_created_total (\d+)$/m.exec(text)?.[1];
    for (const [app, created] of [
      [busy, "1"],
      [idle, "0"],
    ] as const) {
      const text = (await app.call("GET", "/metrics")).body;
      for (const name of processMetricNames) expect(text).toContain(`# TYPE ${name} `);
      expect(counted(text)).toBe(created);
    }
  });
});
