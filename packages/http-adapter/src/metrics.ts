import { readModelNames, type ProjectionRunner } from "@starledger/projections";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type Metrics = {
  readonly registry: Registry;
  readonly webhookSeconds: Histogram;
  readonly preCheckoutSeconds: Histogram;
  readonly storeAppendSeconds: Histogram;
};

/** A counter whose value is read from the ledger's read models at scrape time (ledger-wide: the same on every instance). */
const ledgerCounter = (registry: Registry, name: string, help: string, read: () => number): void => {
  new Counter({
    name,
    help: `${help} (ledger-wide; every instance reports the same value, aggregate with max)`,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
};

const latencyBucketsSeconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The process's own metrics (CPU, memory, event-loop delay, GC). prom-client samples the event loop with a timer and
 * watches GC with an observer, and never stops either: they are collected once per process and shared by every app
 * it builds, so a process that builds many (the tests, the fuzz test one per run) does not pile up samplers.
 */
let processMetrics: Registry | undefined;
const processRegistry = (): Registry => {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, prefix: "starledger_process_" });
  }
  return processMetrics;
};

export const createMetrics = (projections: ProjectionRunner): Metrics => {
  // This app's metrics: they read its read models and time its requests.
  const registry = new Registry();
  const stats = () => projections.stats();
  ledgerCounter(registry, "starledger_payments_created_total", "Payments created", () => stats().paymentsCreated);
  ledgerCounter(registry, "starledger_payments_paid_total", "Payments paid", () => stats().purchases);
  ledgerCounter(registry, "starledger_payments_failed_total", "Payments failed", () => stats().byStatus.FAILED);
  ledgerCounter(registry, "starledger_payments_refunded_total", "Payments refunded", () => stats().refunds);
  ledgerCounter(
    registry,
    "starledger_revenue_stars_total",
    "Stars received for paid payments",
    () => stats().starsPaid,
  );
  ledgerCounter(
    registry,
    "starledger_refunded_stars_total",
    "Stars returned by refunds of paid payments",
    () => stats().starsRefunded,
  );
  ledgerCounter(
    registry,
    "starledger_credits_issued_total",
    "Credits granted by paid payments",
    () => stats().creditsPaid,
  );
  new Gauge({
    name: "starledger_revenue_net_stars",
    help: "Stars paid minus Stars refunded",
    registers: [registry],
    collect() {
      this.set(stats().revenueStars);
    },
  });
  new Gauge({
    name: "starledger_read_model_stopped",
    help: "1 when the read model stopped on an event this build cannot apply (its reads answer 503), else 0",
    labelNames: ["model"],
    registers: [registry],
    collect() {
      const { models } = projections.status();
      for (const model of readModelNames) this.set({ model }, models[model].stopped === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: "starledger_projection_lag_events",
    help: "Global positions between the store's head and the read models that have not stopped (0: caught up)",
    registers: [registry],
    async collect() {
      const progress = await projections.progress();
      this.set(progress.headPosition === null ? -1 : Number(progress.headPosition - progress.position));
    },
  });
  const histograms = {
    webhookSeconds: new Histogram({
      name: "starledger_webhook_duration_seconds",
      help: "Webhook handling time",
      registers: [registry],
      buckets: latencyBucketsSeconds,
      labelNames: ["outcome"],
    }),
    preCheckoutSeconds: new Histogram({
      name: "starledger_pre_checkout_answer_duration_seconds",
      help: "Time to decide a pre-checkout answer",
      registers: [registry],
      buckets: latencyBucketsSeconds,
      labelNames: ["ok"],
    }),
    storeAppendSeconds: new Histogram({
      name: "starledger_store_append_duration_seconds",
      help: "EventStore appendToStream latency",
      registers: [registry],
      buckets: latencyBucketsSeconds,
      labelNames: ["outcome"],
    }),
  };
  // Merged last: a registry merge copies the metrics registered so far.
  return { registry: Registry.merge([processRegistry(), registry]), ...histograms };
};
