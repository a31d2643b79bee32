import type pg from "pg";

/** PostgreSQL type oids the store reads. */
const int4Oid = 23;
const int8Oid = 20;
const jsonOid = 114;

const identity = (text: string): string => text;
const parsers = new Map<number, (text: string) => unknown>([
  [int8Oid, (text) => BigInt(text)],
  [int4Oid, (text) => Number(text)],
  [jsonOid, (text) => JSON.parse(text) as unknown],
]);

/**
 * The store's own result parsers, so that what it reads does not depend on pg's process-wide
 * registry (`pg.types.setTypeParser`), which other libraries in the same process change (Emmett's
 * dumbo turns int8 into bigint and json into its own classes). Every other type is left as text.
 */
export const storeTypeParsers: pg.CustomTypesConfig = {
  getTypeParser: (oid: number) => parsers.get(oid) ?? identity,
};
