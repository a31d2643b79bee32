import type { EventStore } from "@starledger/core";
import type { ParsedAnchor } from "./anchor.js";
import { ChainChecker } from "./chain-checker.js";
import type { StoreVerifyReport } from "./verify-report.js";

export type VerifyStoreOptions = {
  /** Also prove that nothing that existed at anchor time has changed (later appends are fine). */
  readonly anchor?: ParsedAnchor;
};

const isStoreUnavailable = (error: unknown): error is Error =>
  error instanceof Error && error.name === "StoreUnavailableError";

/**
 * Reads the whole store in global order and recomputes every stream's hash chain. Lists problems earliest
 * first (firstBreak is the first broken event) and returns the heads digest as of the last event.
 */
export const verifyStore = async (store: EventStore, options: VerifyStoreOptions = {}): Promise<StoreVerifyReport> => {
  const checker = new ChainChecker({ requireGenesis: true, anchor: options.anchor });
  let readable = true;
  try {
    for await (const event of store.readAll()) checker.check(event);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    readable = false;
    checker.add({
      kind: "store_unreadable",
      message: `reading stopped after position ${(checker.lastPosition ?? 0n).toString()}: ${error.message}`,
      ...(checker.lastPosition === undefined ? {} : { position: checker.lastPosition }),
    });
  }
  const anchorCheck = readable ? checker.finishAnchor(true) : undefined;
  return { source: "store", ...checker.findings(), anchor: checker.anchor(), anchorCheck, range: undefined };
};

/** verifyStore with an anchor: fails, naming the stream when the heads file was given, if anything anchored changed. */
export const verifyAgainstAnchor = (store: EventStore, anchor: ParsedAnchor): Promise<StoreVerifyReport> =>
  verifyStore(store, { anchor });
