import { eventHash, genesisHash } from "@starledger/core";
import { anchorLine, compareStreams, headsDigest, type Anchor, type ParsedAnchor, type StreamHead } from "./anchor.js";
import { problemsMax, type AnchorCheck, type ChainProblem, type VerifyReport } from "./verify-report.js";

/** The fields of an event the chain covers, plus where it sits. */
export type ChainEvent = {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
};

/** One stream as seen so far: where it started (in this read) and its head. */
export type StreamTrack = {
  readonly stream: string;
  events: number;
  readonly startRevision: bigint;
  readonly startPrevHash: string;
  readonly startPosition: bigint;
  readonly startLine: number | undefined;
  headRevision: bigint;
  headHash: string;
};

const hashPattern = /^[0-9a-f]{64}$/;
const isHash = (value: unknown): value is string => typeof value === "string" && hashPattern.test(value);
const short = (hash: string): string => (hash === "" ? "(none)" : hash.slice(0, 16));

type AnchoredHead = { readonly revision: bigint; readonly hash: string; seen: boolean };

/**
 * Walks events in global order and checks every stream's hash chain: prevHash links, recomputed hashes,
 * revisions without gaps. Used by verifyStore (chains must start at genesis) and verifyExport (a ranged
 * export starts mid-chain, so starts are checked against the summary afterwards).
 */
export class ChainChecker {
  readonly tracks = new Map<string, StreamTrack>();
  events = 0;
  lastPosition: bigint | undefined;
  minPosition: bigint | undefined;
  maxPosition: bigint | undefined;
  private problemList: ChainProblem[] = [];
  private problemTotal = 0;
  private readonly anchoredHeads = new Map<string, AnchoredHead>();
  private readonly changedStreams = new Set<string>();
  private headsAtAnchor: StreamHead[] | undefined;
  private anchorReached: boolean;

  constructor(
    private readonly options: {
      /** Store and full export: every stream starts at revision 0 with the genesis prevHash. */
      readonly requireGenesis: boolean;
      readonly anchor: ParsedAnchor | undefined;
    },
  ) {
    for (const head of options.anchor?.heads ?? []) {
      this.anchoredHeads.set(head.stream, { revision: head.revision, hash: head.hash, seen: false });
    }
    this.anchorReached = options.anchor?.position === 0n;
  }

  add(problem: ChainProblem): void {
    this.problemTotal++;
    if (this.problemList.length < problemsMax) this.problemList.push(problem);
  }

  get problemCount(): number {
    return this.problemTotal;
  }

  /** Earliest first: by export line, else by position; problems with neither keep their order, last. */
  problems(): ChainProblem[] {
    const key = (p: ChainProblem): bigint | undefined => (p.line === undefined ? p.position : BigInt(p.line));
    return [...this.problemList].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === undefined || kb === undefined) return ka === kb ? 0 : ka === undefined ? 1 : -1;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  heads(): StreamHead[] {
    return [...this.tracks.values()]
      .map((t) => ({ stream: t.stream, revision: t.headRevision, hash: t.headHash }))
      .sort((a, b) => compareStreams(a.stream, b.stream));
  }

  /** The heads digest as of the last event checked (position 0 when there was none). */
  anchor(): Anchor {
    const position = this.lastPosition ?? 0n;
    const heads = this.heads();
    return { digest: headsDigest(position, heads), streams: heads.length, events: this.events, position, heads };
  }

  /** What the chain itself says, for a VerifyReport: call it last, once every problem is in. */
  findings(): Pick<
    VerifyReport,
    "ok" | "events" | "streams" | "lastPosition" | "firstBreak" | "problems" | "problemCount"
  > {
    const problems = this.problems();
    return {
      ok: this.problemTotal === 0,
      events: this.events,
      streams: this.tracks.size,
      lastPosition: this.lastPosition ?? 0n,
      firstBreak: problems[0],
      problems,
      problemCount: this.problemTotal,
    };
  }

  check(event: ChainEvent, line?: number): void {
    const { stream, revision, position } = event;
    const at = { stream, revision, position, ...(line === undefined ? {} : { line }) };
    const anchor = this.options.anchor;
    if (anchor !== undefined && this.headsAtAnchor === undefined && position > anchor.position)
      this.headsAtAnchor = this.heads();
    if (anchor !== undefined && position >= anchor.position) this.anchorReached = true;
    if (this.lastPosition !== undefined && position <= this.lastPosition) {
      this.add({
        ...at,
        kind: "position_order",
        message: `position ${position.toString()} comes after position ${this.lastPosition.toString()}`,
      });
    }
    this.lastPosition = position;
    if (this.minPosition === undefined || position < this.minPosition) this.minPosition = position;
    if (this.maxPosition === undefined || position > this.maxPosition) this.maxPosition = position;
    this.events++;

    const prevHash = event.metadata.prevHash;
    const hash = event.metadata.hash;
    let track = this.tracks.get(stream);
    if (track === undefined) {
      const startPrevHash = typeof prevHash === "string" ? prevHash : "";
      track = {
        stream,
        events: 0,
        startRevision: revision,
        startPrevHash,
        startPosition: position,
        startLine: line,
        headRevision: revision,
        headHash: "",
      };
      this.tracks.set(stream, track);
      if (this.options.requireGenesis) this.checkGenesis(track);
    } else {
      const expected = track.headRevision + 1n;
      if (revision < expected) {
        this.add({
          ...at,
          kind: "revision_order",
          message: `revision ${revision.toString()} follows revision ${track.headRevision.toString()}`,
        });
      } else if (revision > expected) {
        this.add({
          ...at,
          kind: "revision_gap",
          message: `expected revision ${expected.toString()}, found ${revision.toString()}: events are missing`,
        });
      }
    }

    if (!isHash(prevHash) || !isHash(hash)) {
      this.add({
        ...at,
        kind: "missing_metadata",
        message: "metadata.prevHash and metadata.hash must both be 64 lowercase hex digits",
      });
    } else {
      if (track.events > 0 && prevHash !== track.headHash) {
        this.add({
          ...at,
          kind: "prev_hash_mismatch",
          message: `prevHash ${short(prevHash)}... is not the previous event's hash ${short(track.headHash)}...`,
        });
      }
      const recomputed = eventHash({ stream, revision, type: event.type, data: event.data, prevHash });
      if (recomputed !== hash) {
        this.add({
          ...at,
          kind: "hash_mismatch",
          message: `the event hashes to ${short(recomputed)}... but its recorded hash is ${short(hash)}...: its stream, revision, type, data or prevHash changed`,
        });
      }
    }
    const headHash = typeof hash === "string" ? hash : "";
    this.checkAnchoredHead(stream, revision, headHash, at);
    track.events++;
    track.headRevision = revision;
    track.headHash = headHash;
  }

  /** A stream that must begin at the start: revision 0, prevHash = genesis. */
  checkGenesis(track: StreamTrack): void {
    const at = {
      stream: track.stream,
      revision: track.startRevision,
      position: track.startPosition,
      ...(track.startLine === undefined ? {} : { line: track.startLine }),
    };
    if (track.startRevision !== 0n) {
      this.add({
        ...at,
        kind: "revision_gap",
        message: `the stream starts at revision ${track.startRevision.toString()}, not 0: its first events are missing`,
      });
    } else if (isHash(track.startPrevHash) && track.startPrevHash !== genesisHash) {
      this.add({ ...at, kind: "prev_hash_mismatch", message: "revision 0 must have the genesis prevHash (64 zeros)" });
    }
  }

  private checkAnchoredHead(
    stream: string,
    revision: bigint,
    hash: string,
    at: Omit<ChainProblem, "kind" | "message">,
  ): void {
    const anchored = this.anchoredHeads.get(stream);
    if (anchored?.revision !== revision) return;
    anchored.seen = true;
    if (anchored.hash !== hash) {
      this.changedStreams.add(stream);
      this.add({
        ...at,
        kind: "anchor_head_mismatch",
        message: `the anchor recorded hash ${short(anchored.hash)}... here, the store now has ${short(hash)}...: the stream was rewritten`,
      });
    }
  }

  /**
   * Adds the anchor's problems once every event has been seen. `positional`: the data holds every stream from
   * its start, so the heads as of the anchor's position can be digested (a store, a full export).
   */
  finishAnchor(positional: boolean): AnchorCheck | undefined {
    const anchor = this.options.anchor;
    if (anchor === undefined) return undefined;
    for (const [stream, anchored] of this.anchoredHeads) {
      if (anchored.seen) continue;
      this.changedStreams.add(stream);
      this.add({
        stream,
        revision: anchored.revision,
        kind: "anchor_head_missing",
        message: `the anchor recorded revision ${anchored.revision.toString()} of this stream; it is gone: the stream was truncated or deleted`,
      });
    }
    let digestMatches: boolean | undefined;
    if (positional) {
      const last = this.lastPosition ?? 0n;
      if (!this.anchorReached) {
        digestMatches = false;
        this.add({
          kind: "anchor_digest_mismatch",
          message: `the events end at position ${last.toString()}, before the anchor's position ${anchor.position.toString()}: events were removed`,
        });
      } else {
        digestMatches = headsDigest(anchor.position, this.headsAtAnchor ?? this.heads()) === anchor.digest;
        if (!digestMatches) {
          const intact = anchor.heads !== undefined && this.changedStreams.size === 0;
          this.add({
            kind: "anchor_digest_mismatch",
            message: intact
              ? `every anchored head is intact, but the heads as of position ${anchor.position.toString()} differ: events were inserted at or before that position, or positions were renumbered (a store migration)`
              : `the stream heads as of position ${anchor.position.toString()} do not digest to the anchor: something that existed then has changed${anchor.heads === undefined ? " (pass the anchor file to learn which stream)" : ""}`,
          });
        }
      }
    }
    const changedStreams = [...this.changedStreams].sort(compareStreams);
    return {
      anchor: anchorLine(anchor),
      ok: digestMatches !== false && changedStreams.length === 0,
      digestMatches,
      headsChecked: anchor.heads?.length,
      changedStreams,
    };
  }
}
