/** The URL schemes this store takes, and the one @eventstore/db-client 6.x understands for each (EventStoreDB is now KurrentDB). */
const clientSchemeFor: ReadonlyMap<string, string> = new Map([
  ["esdb", "esdb"],
  ["esdb+discover", "esdb+discover"],
  ["kurrentdb", "esdb"],
  ["kurrentdb+discover", "esdb+discover"],
]);

export const eventStoreUrlSchemes = [...clientSchemeFor.keys()].map((scheme) => `${scheme}://`);

export class InvalidEventStoreUrlError extends Error {
  override readonly name = "InvalidEventStoreUrlError";
}

/**
 * Rewrites a `kurrentdb://` or `kurrentdb+discover://` connection string to the `esdb` scheme the client parses;
 * `esdb://` and `esdb+discover://` pass through. Anything else is rejected. The message names only the scheme,
 * never the rest of the URL, which may hold credentials.
 */
export const normalizeEventStoreUrl = (url: string): string => {
  const trimmed = url.trim();
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(trimmed);
  const scheme = match?.[1]?.toLowerCase();
  const clientScheme = scheme === undefined ? undefined : clientSchemeFor.get(scheme);
  if (match === null || clientScheme === undefined) {
    const got = scheme === undefined ? "no scheme" : `"${scheme}://"`;
    throw new InvalidEventStoreUrlError(
      `expected an EventStoreDB/KurrentDB URL (${eventStoreUrlSchemes.join(", ")}), got ${got}`,
    );
  }
  return `${clientScheme}://${trimmed.slice(match[0].length)}`;
};
