import type { StopRule } from "./types.js";

/**
 * Stops at the earliest occurrence of any stop string and holds back a tail that could be the
 * start of one (so text past a stop string is never emitted). Empty strings are ignored.
 */
export function stopStringsRule(stops: readonly string[]): StopRule {
  const list = stops.filter((s) => s.length > 0);
  return (all, final) => {
    let cut: number | undefined;
    for (const s of list) {
      const i = all.indexOf(s);
      if (i >= 0 && (cut === undefined || i < cut)) cut = i;
    }
    if (cut !== undefined) return { cut, reason: "stop_string", safe: cut };
    if (final) return { safe: all.length };
    let hold = 0;
    for (const s of list) {
      for (let k = Math.min(s.length - 1, all.length); k > hold; k--) {
        if (all.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return { safe: all.length - hold };
  };
}
