import { z } from "zod";

/** Why a text from outside is refused: the stores could not give it back byte for byte. */
export const wellFormedTextMessage = "must be well-formed Unicode text without NUL";

/**
 * The one definition of text the ledger accepts: no lone UTF-16 surrogate (a store would write U+FFFD instead,
 * so what is read back is not what was hashed) and no NUL (PostgreSQL refuses it in text).
 */
export const isWellFormedText = (text: string): boolean => text.isWellFormed() && !text.includes("\u0000");

/** A zod string that refuses what isWellFormedText refuses; chain the field's own checks after it. */
export const wellFormedText = (): z.ZodString =>
  z.string().refine(isWellFormedText, { message: wellFormedTextMessage, abort: true });
