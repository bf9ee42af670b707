/**
 * True when the completion degenerated into repetition: the same non-blank line (≥ 2 characters,
 * indentation included) three or more times in a row, or the text ending in a pattern of 2–40
 * characters (not one repeated character, e.g. "----") repeated ≥ 3 times over ≥ 24 characters.
 */
export function isRepetitive(text: string): boolean {
  const lines = text.split("\n");
  let run = 1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    run = l === lines[i - 1] && l.trim().length >= 2 ? run + 1 : 1;
    if (run >= 3) return true;
  }
  const tail = text.trimEnd();
  for (let p = 2; p <= 40 && p * 3 <= tail.length; p++) {
    const pat = tail.slice(tail.length - p);
    if (new Set(pat).size === 1) continue;
    let reps = 1;
    while (reps * p + p <= tail.length && tail.slice(tail.length - (reps + 1) * p, tail.length - reps * p) === pat) reps++;
    if (reps >= 3 && reps * p >= 24) return true;
  }
  return false;
}
