import { hasContent, type StopRule } from "./types.js";

/**
 * Mode "line": stops at the first newline that follows some non-whitespace completion text, so a
 * completion that starts on a fresh line (cursor at an empty line end) still gets one line.
 */
export function lineModeRule(): StopRule {
  return (all) => {
    let from = 0;
    for (;;) {
      const nl = all.indexOf("\n", from);
      if (nl < 0) return { safe: all.length };
      if (hasContent(all.slice(0, nl))) return { cut: nl, reason: "end_of_line", safe: nl };
      from = nl + 1;
    }
  };
}
