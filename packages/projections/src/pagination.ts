/** Page size when the caller gives none. */
export const pageSizeDefault = 20;
/** Largest page a caller may ask for; larger requests get this many. */
export const pageSizeMax = 100;

export type PageRequest = {
  /** Opaque: the nextCursor of the previous page. */
  readonly cursor?: string;
  /** A positive whole number; above pageSizeMax it is pageSizeMax. Default pageSizeDefault. */
  readonly limit?: number;
};

export type InvalidPageRequest = { readonly type: "InvalidPageRequest"; readonly message: string };

/** Where a row sits in a newest-first listing: creation time, then the position of its first event. */
export type SortKey = { readonly createdAtMs: number; readonly seq: number };

export const compareKeys = (a: SortKey, b: SortKey): number => a.createdAtMs - b.createdAtMs || a.seq - b.seq;

const cursorPattern = /^(-?\d{1,16}):(\d{1,16})$/;

export const encodeCursor = (key: SortKey): string =>
  Buffer.from(`${key.createdAtMs}:${key.seq}`).toString("base64url");

export const decodeCursor = (cursor: string): SortKey | undefined => {
  if (cursor.length > 64) return undefined;
  const match = cursorPattern.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (match === null) return undefined;
  const createdAtMs = Number(match[1]);
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(createdAtMs) || !Number.isSafeInteger(seq)) return undefined;
  return { createdAtMs, seq };
};

export const invalidPage = (message: string): { ok: false; error: InvalidPageRequest } => ({
  ok: false,
  error: { type: "InvalidPageRequest", message },
});

/** The page size to use, or undefined when the limit is not a positive whole number. */
export const resolvePageSize = (limit: number | undefined): number | undefined => {
  if (limit === undefined) return pageSizeDefault;
  if (!Number.isSafeInteger(limit) || limit < 1) return undefined;
  return Math.min(limit, pageSizeMax);
};

/** Index of the first row whose key is >= key, in rows sorted ascending by key. */
export const lowerBound = (rows: readonly SortKey[], key: SortKey): number => {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const row = rows[middle];
    if (row !== undefined && compareKeys(row, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
};

/** Inserts keeping rows sorted ascending by key; appending is O(1) in the usual case of a newer row. */
export const insertSorted = <Row extends SortKey>(rows: Row[], row: Row): void => {
  const last = rows[rows.length - 1];
  if (last === undefined || compareKeys(last, row) <= 0) {
    rows.push(row);
    return;
  }
  rows.splice(lowerBound(rows, row), 0, row);
};
