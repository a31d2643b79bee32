import { exportAudit, verifyExport, type ExportRange, type ProblemKind } from "../../src/index.js";
import { InMemoryEventStore } from "@starledger/core";
import { newLedger, recordEveryEventType } from "./ledger-scenario.js";

export type Line = {
  position: string;
  stream: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
};

export const ledgerStore = async (): Promise<InMemoryEventStore> => {
  const store = new InMemoryEventStore();
  await recordEveryEventType(newLedger(store));
  return store;
};

export const exportLines = async (store: InMemoryEventStore, range: ExportRange = {}): Promise<string[]> => {
  const lines: string[] = [];
  (
    await exportAudit(store, range, (line) => {
      lines.push(line);
    })
  )._unsafeUnwrap();
  return lines;
};

export const parse = (line: string | undefined): Line => JSON.parse(line ?? "") as Line;
export const kinds = async (lines: readonly string[]): Promise<ProblemKind[]> =>
  (await verifyExport(lines)).problems.map((p) => p.kind);
/** Index of the line holding `stream` at `revision`. */
export const indexOf = (lines: readonly string[], stream: string, revision: number): number =>
  lines.findIndex(
    (l) => !l.startsWith('{"summary"') && parse(l).stream === stream && parse(l).revision === String(revision),
  );
export const refundedStream = "payment-11111111-1111-4111-8111-111111111111";
