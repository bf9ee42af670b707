import type { StopRule } from "./types.js";

/**
 * Stops a completion that degenerated into a loop: the same line (indentation included, at least
 * 4 non-whitespace characters, so `}` / `0,` runs of data do not count) three times in a row.
 * Generation ends after the first copy. A line that equals (or, still open, begins) the one
 * before it is held back until a line shows it was no loop (or the stream ends), so the repeated
 * copies are never shown (a line's newline waits for the next character). Small models loop
 * often; stopping also saves the decode steps the loop would take until `max_tokens`.
 * Reports "stop_string" (OpenAI "stop", llama-server "word").
 */
export function repetitionRule(): StopRule {
  return (all, final) => {
    let prev: string | undefined;
    let run = 1;
    let secondStart = 0; // where the line that repeats its predecessor begins (its "\n" included)
    let start = 0;
    let held: number | undefined;
    for (;;) {
      const nl = all.indexOf("\n", start);
      if (nl < 0 && !final) {
        const open = all.slice(start);
        if (prev === undefined || !prev.startsWith(open)) held = undefined; // differs already: no copy
        else if (prev.trim().length >= 4) held ??= start - 1; // may still become a copy of prev
        break;
      }
      const line = nl < 0 ? all.slice(start) : all.slice(start, nl);
      if (prev !== undefined && line === prev && line.trim().length >= 4) {
        run++;
        if (run === 2) secondStart = start - 1;
        if (run >= 3) return { cut: secondStart, reason: "stop_string", safe: secondStart };
        held = secondStart;
      } else {
        run = 1;
        held = undefined;
      }
      prev = line;
      if (nl < 0) break;
      start = nl + 1;
    }
    return { safe: final ? all.length : (held ?? all.length) };
  };
}

/** Shortest and longest repeating unit `inlineRepetitionRule` looks for (characters). */
const UNIT_MIN = 2;
const UNIT_MAX = 16;

/** True for [A-Za-z0-9_]. */
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Letters of a repeating unit outside number literals (`0xff, ` has none). */
function letters(unit: string): number {
  return unit.replace(/0x[0-9a-f]*|\b\d[\d_]*(\.\d+)?(e[+-]?\d+)?\b/gi, "").replace(/[^A-Za-z_]/g, "").length;
}

/**
 * Stops a completion whose last line degenerated into a loop of a short unit:
 * `@scope/gb/lib/lib/lib/lib`, `promptTokens.promptTokens.prompt…`, `.g.g.g.g.g.g` — the line
 * ends in copies of a 2–16 character unit with letters outside number literals (number lists such
 * as `0, 0, 0, 0` and `0xff, 0xff, …`, and separator runs such as `// -----` never count),
 * spanning at least 12 characters: three copies when the unit has two letters or more, five when
 * it has one (`"l12", "l12", "l12"` is data). Generation ends after the first copy (taken to begin
 * where a word does: `gb/lib/lib/lib` keeps `gb/lib/`). From two full copies spanning 10
 * characters the tail after the first copy is held back until the line shows it was no loop or
 * the stream ends (0.5 % of this repository's lines are held back for a moment while streamed,
 * none cut); so at most one copy more than the kept one can have been shown before the stop.
 * Small models loop within a line as often as across lines; stopping saves the decode steps until
 * `max_tokens`. Reports "stop_string".
 */
export function inlineRepetitionRule(): StopRule {
  return (all, final) => {
    const base = all.lastIndexOf("\n") + 1;
    const n = all.length;
    let hold: number | undefined;
    for (let p = UNIT_MIN; p <= UNIT_MAX && 2 * p <= n - base; p++) {
      // the longest p-periodic tail of the line: all[i] === all[i - p] for every i in it after p
      let i = n - 1;
      while (i - p >= base && all.charCodeAt(i) === all.charCodeAt(i - p)) i--;
      const start = i - p + 1; // first character of the periodic tail
      const span = n - start;
      const l = span < 2 * p ? 0 : letters(all.slice(start, start + p));
      if (l === 0) continue;
      // the first copy begins where a word does, if one does within a unit (`lib/`, not `b/li`)
      let first = start;
      for (let k = start; k < start + p; k++) {
        if (isWord(all.charCodeAt(k)) && (k === base || !isWord(all.charCodeAt(k - 1)))) {
          first = k;
          break;
        }
      }
      if (span >= (l >= 2 ? 3 : 5) * p && span >= 12) return { cut: first + p, reason: "stop_string", safe: first + p };
      if (!final && span >= 10) hold = Math.min(hold ?? n, first + p);
    }
    return { safe: hold ?? n };
  };
}
