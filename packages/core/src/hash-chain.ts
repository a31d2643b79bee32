import { createHash } from "node:crypto";

/** The prevHash of a stream's first event. */
export const genesisHash = "0".repeat(64);

/** Canonical JSON: object keys sorted, no whitespace, undefined members dropped. The same value always gives the same text. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return JSON.stringify(value.toString());
    const text = JSON.stringify(value) as string | undefined;
    return text ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(",")}}`;
};

export type ChainLink = {
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly prevHash: string;
};

/** SHA-256 (hex) over the canonical JSON of [stream, revision as a decimal string, type, data, prevHash]. */
export const eventHash = (link: ChainLink): string =>
  createHash("sha256")
    .update(canonicalJson([link.stream, link.revision.toString(), link.type, link.data, link.prevHash]))
    .digest("hex");
