import { ANY, NO_STREAM, type AppendExpectedRevision } from "@eventstore/db-client";
import type { ExpectedRevision } from "@starledger/core";

/** The port's expected revision in the client's terms: "no_stream" -> NO_STREAM, "any" -> ANY, a bigint -> that revision. */
export const toEsdbExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  if (expected === "no_stream") return NO_STREAM;
  if (expected === "any") return ANY;
  return expected;
};

/** The exact revision a stream was read at, to make the server reject anyone who wrote since. */
export const exactExpectedRevision = (revision: bigint | "no_stream"): AppendExpectedRevision =>
  revision === "no_stream" ? NO_STREAM : revision;
