import { randomUUID } from "node:crypto";
import type { NewEvent } from "@starledger/core";

/** The data of a realistic PaymentCreated, fresh ids each time: what the store benchmarks append. */
export const paymentData = (): NewEvent["data"] => ({
  paymentId: randomUUID(),
  userId: 123_456_789,
  packageId: "stars-100",
  starsAmount: 100,
  credits: 1_000,
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
});

export const newEvent = (): NewEvent => ({
  id: randomUUID(),
  type: "PaymentCreated",
  data: paymentData(),
  metadata: { schemaVersion: 1, correlationId: randomUUID() },
});

export const perSecond = (count: number, startedMs: number): number => count / ((performance.now() - startedMs) / 1000);
