/**
 * Budget truncation. The prefix loses its start, the suffix its end; cuts fall on line
 * boundaries when at least one whole line fits, otherwise mid-line.
 */

/** Splits text into lines that keep their "\n". */
export function splitLinesKeep(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** A truncated piece: its tokens and whether anything was cut. */
export interface TokenPiece {
  tokens: number[];
  truncated: boolean;
}

/** Start offset of the line that ends at `end` (exclusive; the line keeps its "\n"). */
function lineStartBefore(text: string, end: number): number {
  if (end <= 1) return 0;
  return text.lastIndexOf("\n", end - 2) + 1;
}

/** Number of "\n" in text[0, end). */
function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Keeps the END of `text` within `budget` tokens (prefix truncation). `alignLines` (default 1):
 * when lines must be dropped, the first kept line index is rounded up to a multiple of it, so
 * the cut (and with it the whole KV prefix of an SPM prompt) moves only every `alignLines`
 * lines of growth instead of on every new line, at the cost of up to that many lines of context.
 * Only the lines near the end are looked at (a keystroke in a long file costs the same as in a
 * short one). `joined` tokenizes kept lines exactly as their concatenation (default: whole).
 */
export function keepEndTokens(
  text: string,
  budget: number,
  tokenize: (t: string) => number[],
  alignLines = 1,
  joined: (lines: readonly string[]) => number[] = (l) => tokenize(l.join("")),
): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  // lines from the end while their (separately tokenized) sizes fit
  const rev: string[] = [];
  let acc = 0;
  let end = text.length;
  let firstAt = text.length; // offset of the first kept line
  while (end > 0) {
    const at = lineStartBefore(text, end);
    const line = text.slice(at, end);
    const n = tokenize(line).length;
    if (acc + n > budget) break;
    acc += n;
    rev.push(line);
    firstAt = at;
    end = at;
  }
  let lines = rev.reverse();
  if (firstAt > 0 && alignLines > 1 && lines.length > 0) {
    const start = countNewlines(text, firstAt); // absolute index of the first kept line
    const aligned = Math.ceil(start / alignLines) * alignLines;
    if (aligned - start < lines.length) lines = lines.slice(aligned - start);
  }
  for (let drop = 0; drop < lines.length; drop++) {
    const kept = drop === 0 ? lines : lines.slice(drop);
    const tokens = joined(kept);
    if (tokens.length <= budget) return { tokens, truncated: firstAt > 0 || drop > 0 };
  }
  // Not even the cursor line fits: cut inside it (tokenize a bounded tail, keep its last tokens).
  const last = text.slice(lineStartBefore(text, text.length));
  const tail = last.length > budget * 32 ? last.slice(last.length - budget * 32) : last;
  const tokens = tokenize(tail);
  return { tokens: tokens.slice(Math.max(0, tokens.length - budget)), truncated: true };
}

/** Keeps the START of `text` within `budget` tokens (suffix truncation); only the lines near the start are looked at. */
export function keepStartTokens(
  text: string,
  budget: number,
  tokenize: (t: string) => number[],
  joined: (lines: readonly string[]) => number[] = (l) => tokenize(l.join("")),
): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  const lines: string[] = [];
  let acc = 0;
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(at, end);
    const n = tokenize(line).length;
    if (acc + n > budget) break;
    acc += n;
    lines.push(line);
    at = end;
  }
  const whole = at >= text.length;
  for (let end = lines.length; end > 0; end--) {
    const tokens = joined(end === lines.length ? lines : lines.slice(0, end));
    if (tokens.length <= budget) return { tokens, truncated: !whole || end < lines.length };
  }
  const nl = text.indexOf("\n");
  const first = nl < 0 ? text : text.slice(0, nl + 1);
  const head = first.length > budget * 32 ? first.slice(0, budget * 32) : first;
  return { tokens: tokenize(head).slice(0, budget), truncated: true };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Keeps the END of `text` within `chars` UTF-16 units, starting at a line start when one lies inside the window. */
export function keepEndChars(text: string, chars: number): { text: string; truncated: boolean } {
  if (text.length <= chars) return { text, truncated: false };
  if (chars <= 0) return { text: "", truncated: true };
  let cut = text.length - chars;
  const nl = text.indexOf("\n", cut - 1);
  if (nl >= 0 && nl + 1 < text.length) cut = nl + 1;
  else if (isLowSurrogate(text.charCodeAt(cut))) cut++;
  return { text: text.slice(cut), truncated: true };
}

/** Keeps the START of `text` within `chars` UTF-16 units, ending at a line end when one lies inside the window. */
export function keepStartChars(text: string, chars: number): { text: string; truncated: boolean } {
  if (text.length <= chars) return { text, truncated: false };
  if (chars <= 0) return { text: "", truncated: true };
  const nl = text.lastIndexOf("\n", chars - 1);
  let end = nl >= 0 ? nl + 1 : chars;
  if (nl < 0 && isLowSurrogate(text.charCodeAt(end))) end--;
  return { text: text.slice(0, end), truncated: true };
}
