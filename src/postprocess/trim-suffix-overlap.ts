/**
 * Removes the end of `text` that the suffix already starts with (the model re-typed what follows
 * the cursor). To avoid false positives an overlap counts only when it holds non-whitespace and
 * is ≥ 4 characters, or reaches a line end in the suffix, or is only closing punctuation.
 */
export function trimSuffixOverlap(text: string, suffix: string): string {
  const max = Math.min(text.length, suffix.length);
  for (let k = max; k > 0; k--) {
    const overlap = suffix.slice(0, k);
    if (!text.endsWith(overlap) || !/\S/.test(overlap)) continue;
    const atLineEnd = k === suffix.length || suffix[k] === "\n" || suffix[k] === "\r";
    const punctuation = /^[\s)\]};,>]+$/.test(overlap);
    if (k >= 4 || atLineEnd || punctuation) return text.slice(0, text.length - k);
  }
  return text;
}
