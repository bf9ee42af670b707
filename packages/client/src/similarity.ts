/**
 * Edit similarity used by the retention tracker: how much of an accepted text is still present.
 */

/**
 * Best semi-global alignment of `needle` inside `haystack`: the minimum Levenshtein distance
 * between `needle` and any substring of `haystack`, with that substring. O(|needle|·|haystack|).
 */
export function bestSubstringMatch(needle: string, haystack: string): { distance: number; start: number; end: number } {
  const n = needle.length;
  const m = haystack.length;
  if (n === 0) return { distance: 0, start: 0, end: 0 };
  // prev[j] = distance of needle[0..i) against a substring ending at j; start[j] tracks its start.
  let prev = new Array<number>(m + 1).fill(0);
  let prevStart = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = new Array<number>(m + 1);
    const curStart = new Array<number>(m + 1);
    cur[0] = i;
    curStart[0] = 0;
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1]! + (needle[i - 1] === haystack[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      if (sub <= del && sub <= ins) {
        cur[j] = sub;
        curStart[j] = prevStart[j - 1]!;
      } else if (del <= ins) {
        cur[j] = del;
        curStart[j] = prevStart[j]!;
      } else {
        cur[j] = ins;
        curStart[j] = curStart[j - 1]!;
      }
    }
    prev = cur;
    prevStart = curStart;
  }
  let best = 0;
  for (let j = 1; j <= m; j++) if (prev[j]! < prev[best]!) best = j;
  return { distance: prev[best]!, start: prevStart[best]!, end: best };
}

/** Similarity 0..1 of `accepted` to its best match in `window`: 1 - distance / |accepted|. */
export function retainedSimilarity(accepted: string, window: string): { similarity: number; kept: string } {
  if (!accepted) return { similarity: 1, kept: "" };
  const match = bestSubstringMatch(accepted, window);
  return {
    similarity: Math.max(0, 1 - match.distance / accepted.length),
    kept: window.slice(match.start, match.end),
  };
}
