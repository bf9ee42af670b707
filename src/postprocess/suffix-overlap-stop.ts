import { cursorLine, hasContent, type StopContext, type StopRule } from "./types.js";

/**
 * Stops when the completion starts reproducing the suffix: a whole generated line equal (trailing
 * whitespace ignored, indentation kept) to the suffix's first non-empty line after the cursor
 * line. Keeping indentation avoids cutting at an inner `}` when the suffix holds the outer one.
 * The first line counts only when the cursor line holds nothing but whitespace. A line that may
 * still become the target is held back. Reports "stop_string" (the suffix line acts as one).
 */
export function suffixOverlapRule(ctx: StopContext): StopRule {
  const afterCursorLine = ctx.suffix.slice(ctx.suffix.indexOf("\n") + 1);
  const target = ctx.suffix.includes("\n") ? afterCursorLine.split("\n").find((l) => hasContent(l))?.trimEnd() : undefined;
  const lead = cursorLine(ctx.prefix);
  const firstLineCounts = !hasContent(lead);
  return (all, final) => {
    if (!target) return { safe: all.length };
    let start = 0;
    let lineNo = 0;
    for (;;) {
      const next = all.indexOf("\n", start);
      const raw = next >= 0 ? all.slice(start, next) : all.slice(start);
      const line = lineNo === 0 ? lead + raw : raw;
      if (lineNo > 0 || firstLineCounts) {
        const cutAt = lineNo === 0 ? 0 : start - 1;
        const complete = next >= 0 || final;
        if (complete && line.trimEnd() === target) return { cut: cutAt, reason: "stop_string", safe: cutAt };
        if (!complete && target.startsWith(line.trimEnd())) return { safe: cutAt };
      }
      if (next < 0) return { safe: all.length };
      start = next + 1;
      lineNo++;
    }
  };
}
