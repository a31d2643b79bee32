import { createHash, randomUUID } from "node:crypto";

/**
 * A name-based UUID (RFC 9562 version 5 layout over SHA-1) of (stream, key, index): a command that
 * carries a natural key (a charge id) always produces the same event ids, so a retried append is recognisable.
 */
export const deterministicEventId = (stream: string, key: string, index: number): string => {
  const bytes = createHash("sha1")
    .update(`starledger\u0000${stream}\u0000${key}\u0000${index}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export const randomEventId = (): string => randomUUID();
