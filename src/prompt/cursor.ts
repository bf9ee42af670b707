/** The cursor marker of FIM test tables. */
export const CURSOR = "█";

/** Splits `source` at its single `█` marker into prefix and suffix; throws when there is not exactly one. */
export function splitAtCursor(source: string): { prefix: string; suffix: string } {
  const i = source.indexOf(CURSOR);
  if (i < 0 || source.indexOf(CURSOR, i + 1) >= 0) throw new Error("expected exactly one █ cursor marker");
  return { prefix: source.slice(0, i), suffix: source.slice(i + CURSOR.length) };
}
