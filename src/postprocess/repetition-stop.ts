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
