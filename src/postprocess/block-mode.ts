import { cursorLine, hasContent, indentWidth, type StopContext, type StopRule } from "./types.js";

/**
 * Mode "block": stops before a line that dedents below the cursor line's indentation, or before a
 * blank line once some content was generated. A new line whose indentation is not yet known is
 * held back (with its newline) until its first non-whitespace character or its end arrives.
 */
export function blockModeRule(ctx: StopContext): StopRule {
  const base = indentWidth(cursorLine(ctx.prefix));
  return (all, final) => {
    let seen = hasContent(all.slice(0, Math.max(0, all.indexOf("\n"))));
    let nl = all.indexOf("\n");
    while (nl >= 0) {
      const start = nl + 1;
      const next = all.indexOf("\n", start);
      const line = next >= 0 ? all.slice(start, next) : all.slice(start);
      const complete = next >= 0 || final;
      if (hasContent(line)) {
        if (indentWidth(line) < base) return { cut: nl, reason: "end_of_block", safe: nl };
        seen = true;
      } else if (next >= 0) {
        if (seen) return { cut: nl, reason: "end_of_block", safe: nl };
      } else if (!complete) {
        return { safe: nl };
      }
      nl = next;
    }
    return { safe: all.length };
  };
}
