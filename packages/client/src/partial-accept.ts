/**
 * Partial-accept units, VS Code style: the next word takes leading whitespace plus one run of word
 * characters (or one run of punctuation); the next line takes everything up to and including the
 * next newline (a suggestion starting with a newline takes that newline plus the following line).
 */

/** Length of the next word of `text`. */
export function nextWordLength(text: string): number {
  if (!text) return 0;
  let i = 0;
  while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  if (i < text.length && text[i] === "\n") return i + 1;
  const isWord = (c: string): boolean => /[\p{L}\p{N}_$]/u.test(c);
  if (i < text.length && isWord(text[i]!)) {
    while (i < text.length && isWord(text[i]!)) i++;
  } else {
    while (i < text.length && !isWord(text[i]!) && !/\s/.test(text[i]!)) i++;
  }
  return Math.max(1, i);
}

/** Length of the next line of `text` (including its newline). */
export function nextLineLength(text: string): number {
  if (!text) return 0;
  const from = text.startsWith("\n") ? 1 : 0;
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.length : nl + 1;
}
