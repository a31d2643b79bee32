import { randomUUID } from "node:crypto";
import type { NewEvent } from "@starledger/core";

export const newEvent = (type = "TestEvent", data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { schemaVersion: 1 },
});
