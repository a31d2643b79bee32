import fc from "fast-check";

/** A number written into JSON text as is: 1e400, -0, 9007199254740993, 1.0 (JSON.stringify cannot write them). */
export class NumberLiteral {
  constructor(readonly text: string) {}
}

export type Json = null | boolean | number | string | NumberLiteral | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };
type Key = string | number;

/** JSON text of `value`; strings go through JSON.stringify, which escapes a lone surrogate as \ud800. */
export const jsonText = (value: Json): string => {
  if (value instanceof NumberLiteral) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (typeof value === "number" && !Number.isFinite(value))
    return Number.isNaN(value) ? "null" : `${value < 0 ? "-" : ""}1e400`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([key, member]) => `${JSON.stringify(key)}:${jsonText(member)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
};

/** One UTF-16 unit of text from outside: any code point, a lone surrogate, NUL and the other troublemakers. */
const anyTextUnit = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)) },
  { weight: 2, arbitrary: fc.constantFrom("\u0000", "\u202e", "\ufeff", "\uffff", "\u{1f600}", "\\", '"', "%") },
);

/** Any text, well-formed or not: lone surrogates and NUL included. */
export const anyText = (maxLength = 24): fc.Arbitrary<string> => fc.string({ unit: anyTextUnit, maxLength });

/** Text a little longer than the edge's bounds (64, 128 bytes, 200, 256, 500 characters). */
const longText = fc
  .constantFrom(63, 64, 65, 129, 200, 201, 256, 257, 500, 501, 5_000)
  .chain((length) => fc.constantFrom("x", "é", "\u{1f600}").map((unit) => unit.repeat(length)));

const oddNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 10, 25, 50, 100, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.5),
  fc.bigInt().map((n) => new NumberLiteral(n.toString())),
  fc
    .constantFrom("1e400", "-1e400", "-0", "1E1", "10.0", "1e-400", "9007199254740993", "9223372036854775808")
    .map((text) => new NumberLiteral(text)),
);

/** Nested `depth` levels deep: past jsonNestingDepthMax (64) the body is refused before it is parsed. */
const deeplyNested: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 2, max: 80 }), fc.boolean())
  .map(([depth, asArray]) => {
    let value: Json = 1;
    for (let level = 0; level < depth; level++) value = asArray ? [value] : { a: value };
    return value;
  });

/** Keys an attacker would try: prototype keys, the update's own keys, any text. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "update_id",
    "message",
    "successful_payment",
    "refunded_payment",
    "pre_checkout_query",
    "starsAmount",
    "packageId",
    "delta",
  ),
  anyText(12),
);

/** A value of the wrong type, size or text in place of a field: what near-miss requests are made of. */
export const oddValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: anyText() },
  { weight: 1, arbitrary: longText },
  { weight: 4, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, "", [], {}) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.dictionary(oddKey, fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>, { maxKeys: 3 }) },
  { weight: 1, arbitrary: deeplyNested },
);

/**
 * One change to a JSON value, at the `at`-th of its paths (root first, depth first, taken modulo their number):
 * the value replaced, removed, given an extra member, or buried a few levels deeper.
 */
export type Mutation =
  | { readonly op: "replace"; readonly at: number; readonly value: Json }
  | { readonly op: "remove"; readonly at: number }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly op: "nest"; readonly at: number; readonly depth: number; readonly asArray: boolean };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("replace"), at: fc.nat(), value: oddValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove"), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("add"), at: fc.nat(), key: oddKey, value: oddValue }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("nest"),
      at: fc.nat(),
      depth: fc.integer({ min: 1, max: 70 }),
      asArray: fc.boolean(),
    }),
  },
);

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof NumberLiteral);

const pathsOf = (value: Json, path: readonly Key[] = []): Key[][] => {
  const here: Key[][] = [[...path]];
  if (Array.isArray(value)) return here.concat(...value.map((item, index) => pathsOf(item, [...path, index])));
  if (isObject(value)) return here.concat(...Object.entries(value).map(([key, item]) => pathsOf(item, [...path, key])));
  return here;
};

/** `value` with `change` applied at `path`; `undefined` from `change` removes the member. Never mutates `value`. */
const updateAt = (value: Json, path: readonly Key[], change: (old: Json) => Json | undefined): Json | undefined => {
  const [head, ...rest] = path;
  if (head === undefined) return change(value);
  if (Array.isArray(value) && typeof head === "number") {
    const item = value[head];
    const updated = item === undefined ? undefined : updateAt(item, rest, change);
    return value.flatMap((old, index) => (index !== head ? [old] : updated === undefined ? [] : [updated]));
  }
  if (isObject(value) && typeof head === "string" && Object.hasOwn(value, head)) {
    const updated = updateAt(value[head] ?? null, rest, change);
    // Object.fromEntries defines "__proto__" as an own member, as JSON.parse does.
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, old]) =>
        key !== head ? [[key, old]] : updated === undefined ? [] : [[key, updated]],
      ),
    );
  }
  return value;
};

const nested = (value: Json, depth: number, asArray: boolean): Json => {
  let result = value;
  for (let level = 0; level < depth; level++) result = asArray ? [result] : { v: result };
  return result;
};

/** Applies one mutation; undefined when the root itself was removed (an empty body). */
export const mutate = (value: Json, change: Mutation): Json | undefined => {
  const paths = pathsOf(value);
  const path = paths[change.at % paths.length] ?? [];
  switch (change.op) {
    case "replace":
      return updateAt(value, path, () => change.value);
    case "remove":
      return updateAt(value, path, () => undefined);
    case "add":
      return updateAt(value, path, (old) =>
        isObject(old) ? Object.fromEntries([...Object.entries(old), [change.key, change.value]]) : old,
      );
    case "nest":
      return updateAt(value, path, (old) => nested(old, change.depth, change.asArray));
  }
};

export const mutateAll = (value: Json, changes: readonly Mutation[]): Json | undefined =>
  changes.reduce<Json | undefined>(
    (current, change) => (current === undefined ? undefined : mutate(current, change)),
    value,
  );

/** Percent-encodes every byte, so any byte sequence (invalid UTF-8, %00, %ED%A0%80) reaches the URL parser. */
export const percentEncoded = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
