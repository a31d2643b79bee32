import { createHash } from "node:crypto";
import { canonicalJson, StoreUnavailableError, type EventStore } from "@starledger/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

/** The version tag of the anchor digest and of its one-line text form. */
export const anchorFormat = "sl-anchor-v1";

/** The last event of a stream: its revision and its recorded metadata.hash. */
export type StreamHead = { readonly stream: string; readonly revision: bigint; readonly hash: string };

/** A digest of every stream head as of `position` (the last event read): what an auditor keeps elsewhere. */
export type Anchor = {
  readonly digest: string;
  readonly streams: number;
  readonly events: number;
  /** Global position of the last event covered; 0n for an empty store. */
  readonly position: bigint;
  /** Sorted by stream name. */
  readonly heads: readonly StreamHead[];
};

/** An anchor read back: from the one-line form alone, or with the saved heads file (which names changed streams). */
export type ParsedAnchor = {
  readonly position: bigint;
  readonly digest: string;
  readonly heads: readonly StreamHead[] | undefined;
};

export type AnchorParseError = { readonly type: "InvalidAnchor"; readonly message: string };
export type AuditStoreError = { readonly type: "StoreUnavailable"; readonly message: string };

const hex64 = /^[0-9a-f]{64}$/;
const decimal = /^(0|[1-9][0-9]*)$/;
const lineForm = /^sl-anchor-v1:(0|[1-9][0-9]*):([0-9a-f]{64})$/;

/** JavaScript string order (UTF-16 code units), the same order canonicalJson sorts keys in. */
export const compareStreams = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** SHA-256 hex over canonicalJson(["sl-anchor-v1", position, [[stream, revision, hash], ...sorted by stream]]), numbers as decimal strings. */
export const headsDigest = (position: bigint, heads: Iterable<StreamHead>): string => {
  const sorted = [...heads].sort((a, b) => compareStreams(a.stream, b.stream));
  const body = canonicalJson([
    anchorFormat,
    position.toString(),
    sorted.map((h) => [h.stream, h.revision.toString(), h.hash]),
  ]);
  return createHash("sha256").update(body).digest("hex");
};

/** The one line an auditor keeps: `sl-anchor-v1:<position>:<digest>`. */
export const anchorLine = (anchor: { readonly position: bigint; readonly digest: string }): string =>
  `${anchorFormat}:${anchor.position.toString()}:${anchor.digest}`;

/** The optional heads file (pretty JSON): bound to the line by its digest, so it may be kept anywhere. */
export const anchorFileJson = (anchor: Anchor, takenAt: Date): string =>
  JSON.stringify(
    {
      format: anchorFormat,
      line: anchorLine(anchor),
      position: anchor.position.toString(),
      digest: anchor.digest,
      streams: anchor.streams,
      events: anchor.events,
      takenAt: takenAt.toISOString(),
      heads: anchor.heads.map((h) => ({ stream: h.stream, revision: h.revision.toString(), hash: h.hash })),
    },
    null,
    2,
  );

const AnchorFile = z.object({
  format: z.literal(anchorFormat),
  position: z.string().regex(decimal),
  digest: z.string().regex(hex64),
  heads: z.array(z.object({ stream: z.string(), revision: z.string().regex(decimal), hash: z.string() })),
});

const invalid = (message: string): Result<never, AnchorParseError> => err({ type: "InvalidAnchor", message });

const parseLine = (text: string): Result<{ position: bigint; digest: string }, AnchorParseError> => {
  const match = lineForm.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) {
    return invalid(`not an anchor line: expected ${anchorFormat}:<position>:<64 hex digits>`);
  }
  return ok({ position: BigInt(match[1]), digest: match[2] });
};

const parseFile = (text: string): Result<ParsedAnchor, AnchorParseError> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid("the anchor file is not JSON");
  }
  const parsed = AnchorFile.safeParse(json);
  if (!parsed.success)
    return invalid(`the anchor file is malformed: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, "; ")}`);
  const heads = parsed.data.heads.map((h) => ({ stream: h.stream, revision: BigInt(h.revision), hash: h.hash }));
  if (new Set(heads.map((h) => h.stream)).size !== heads.length) return invalid("the anchor file names a stream twice");
  const position = BigInt(parsed.data.position);
  if (headsDigest(position, heads) !== parsed.data.digest) {
    return invalid("the anchor file's heads do not hash to its digest: the file was altered");
  }
  return ok({ position, digest: parsed.data.digest, heads });
};

/**
 * Reads an anchor: the one-line form, the heads file, or both (then they must agree). Only the heads file
 * lets verification name the stream that changed; the line alone says only that something did.
 */
export const parseAnchor = (input: {
  readonly line?: string;
  readonly file?: string;
}): Result<ParsedAnchor, AnchorParseError> => {
  const line = input.line === undefined ? undefined : parseLine(input.line);
  const file = input.file === undefined ? undefined : parseFile(input.file);
  if (line?.isErr() === true) return err(line.error);
  if (file?.isErr() === true) return err(file.error);
  if (file !== undefined && file.isOk()) {
    if (
      line !== undefined &&
      line.isOk() &&
      (line.value.position !== file.value.position || line.value.digest !== file.value.digest)
    ) {
      return invalid("the anchor line and the anchor file describe different anchors");
    }
    return ok(file.value);
  }
  if (line !== undefined && line.isOk()) return ok({ ...line.value, heads: undefined });
  return invalid("give an anchor line, an anchor file, or both");
};

/** Reads the store once and digests its stream heads. Chains are not checked here: verifyStore does that and returns the same anchor. */
export const anchorDigest = async (store: EventStore): Promise<Result<Anchor, AuditStoreError>> => {
  const heads = new Map<string, StreamHead>();
  let events = 0;
  let position = 0n;
  try {
    for await (const event of store.readAll()) {
      const hash = event.metadata.hash;
      heads.set(event.stream, {
        stream: event.stream,
        revision: event.revision,
        hash: typeof hash === "string" ? hash : "",
      });
      events++;
      position = event.position;
    }
  } catch (error) {
    if (error instanceof StoreUnavailableError || (error instanceof Error && error.name === "StoreUnavailableError")) {
      return err({ type: "StoreUnavailable", message: error.message });
    }
    throw error;
  }
  const sorted = [...heads.values()].sort((a, b) => compareStreams(a.stream, b.stream));
  return ok({ digest: headsDigest(position, sorted), streams: sorted.length, events, position, heads: sorted });
};
