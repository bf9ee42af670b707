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

/**
 * Keeps the END of `text` within `budget` tokens (prefix truncation). `alignLines` (default 1):
 * when lines must be dropped, the first kept line index is rounded up to a multiple of it, so
 * the cut (and with it the whole KV prefix of an SPM prompt) moves only every `alignLines`
 * lines of growth instead of on every new line, at the cost of up to that many lines of context.
 */
export function keepEndTokens(text: string, budget: number, tokenize: (t: string) => number[], alignLines = 1): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  const lines = splitLinesKeep(text);
  let acc = 0;
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const n = tokenize(lines[i]!).length;
    if (acc + n > budget) break;
    acc += n;
    start = i;
  }
  if (start > 0 && alignLines > 1) {
    const aligned = Math.ceil(start / alignLines) * alignLines;
    if (aligned < lines.length) start = aligned;
  }
  while (start < lines.length) {
    const tokens = tokenize(start === 0 ? text : lines.slice(start).join(""));
    if (tokens.length <= budget) return { tokens, truncated: start > 0 };
    start++;
  }
  // Not even the cursor line fits: cut inside it (tokenize a bounded tail, keep its last tokens).
  const last = lines[lines.length - 1]!;
  const tail = last.length > budget * 32 ? last.slice(last.length - budget * 32) : last;
  const tokens = tokenize(tail);
  return { tokens: tokens.slice(Math.max(0, tokens.length - budget)), truncated: true };
}

/** Keeps the START of `text` within `budget` tokens (suffix truncation). */
export function keepStartTokens(text: string, budget: number, tokenize: (t: string) => number[]): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  const lines = splitLinesKeep(text);
  let acc = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = tokenize(lines[i]!).length;
    if (acc + n > budget) break;
    acc += n;
    end = i + 1;
  }
  while (end > 0) {
    const tokens = tokenize(end === lines.length ? text : lines.slice(0, end).join(""));
    if (tokens.length <= budget) return { tokens, truncated: end < lines.length };
    end--;
  }
  const first = lines[0]!;
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
