import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";
import { RequestRefused } from "./http-errors.js";

/**
 * Deepest nesting of arrays and objects a JSON body may have. Checked by a scan before parsing, so a 1 MiB body of
 * brackets costs one pass over its text instead of a parse that blocks the event loop; Telegram's updates and our own
 * bodies nest fewer than 10 levels.
 */
export const jsonNestingDepthMax = 64;

const [openBrace, closeBrace, openBracket, closeBracket, quote, backslash] = ["{", "}", "[", "]", '"', "\\"].map((c) =>
  c.charCodeAt(0),
);

/** True when arrays and objects in `text` nest deeper than `depthMax`; brackets inside strings do not count. */
export const nestsDeeperThan = (text: string, depthMax: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === backslash) i++;
      else if (c === quote) inString = false;
    } else if (c === quote) {
      inString = true;
    } else if (c === openBrace || c === openBracket) {
      if (++depth > depthMax) return true;
    } else if (c === closeBrace || c === closeBracket) {
      depth--;
    }
  }
  return false;
};

/** Keys that would reach an object's prototype if the body were ever merged into another object. */
const forbiddenKeys = [
  {
    options: { protoAction: "error", constructorAction: "ignore" },
    message: 'The key "__proto__" is not allowed in a JSON body',
  },
  {
    options: { protoAction: "ignore", constructorAction: "error" },
    message: 'A "constructor" key holding a "prototype" key is not allowed in a JSON body',
  },
] as const;

/** Only a text that spells one of those keys (possibly with \u escapes) needs the scan of the parsed value. */
const maySpellForbiddenKey = (text: string): boolean =>
  text.includes("__proto__") || text.includes("constructor") || text.includes("\\u");

const invalid = (message: string) => new RequestRefused({ type: "InvalidRequest", message });

/** Parses a JSON body, or says in one line why it is refused (a 400): empty, malformed, too deep, a forbidden key. */
export const parseJsonBody = (text: string): unknown => {
  if (nestsDeeperThan(text, jsonNestingDepthMax))
    throw invalid(`JSON body nested deeper than ${jsonNestingDepthMax} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("Malformed JSON body");
  }
  if (typeof value !== "object" || value === null || !maySpellForbiddenKey(text)) return value;
  for (const rule of forbiddenKeys) {
    try {
      secureJson.scan(value, rule.options);
    } catch {
      throw invalid(rule.message);
    }
  }
  return value;
};

/**
 * The app reads JSON and nothing else: fastify's text/plain parser is removed, so any other Content-Type is a 415
 * instead of a string handed to a schema that expects an object.
 */
export const acceptJsonOnly = (app: FastifyInstance): void => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
};
