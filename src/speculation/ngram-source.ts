/**
 * Prompt-lookup (n-gram) draft source: finds the most recent earlier occurrence of the last n
 * tokens (n = maxN..1) anywhere in the committed history — which holds the suffix, the prefix and
 * the extra context of the FIM prompt plus everything generated — and proposes what followed it.
 * Code repeats itself (identifiers, closing brackets, the suffix right after the cursor), so this
 * costs a hash lookup and often drafts several correct tokens.
 */
import type { DraftProposal, DraftSource } from "./draft-source.js";

/** Options: `maxN` longest n-gram tried (default 3), `minN` shortest (default 1). */
export interface NgramSourceOptions {
  maxN?: number;
  minN?: number;
}

/** Creates an n-gram source for one request (its index grows with the history). */
export function createNgramSource(options: NgramSourceOptions = {}): DraftSource {
  const maxN = options.maxN ?? 3;
  const minN = options.minN ?? 1;
  if (minN < 1 || maxN < minN) throw new RangeError("ngram source: need 1 <= minN <= maxN");
  // key "n:t1,t2,..." -> end positions (index of the n-gram's last token), most recent last
  let index = new Map<string, number[]>();
  let indexed = 0;
  let tokens: readonly number[] = [];

  const key = (h: readonly number[], end: number, n: number) =>
    `${n}:${h.slice(end - n + 1, end + 1).join(",")}`;
  const extend = (h: readonly number[]) => {
    if (h.length < indexed || h !== tokens) {
      // a different or shorter history: verify the indexed part still matches, else rebuild
      let same = h.length >= indexed;
      for (let i = 0; same && i < indexed; i++) if (h[i] !== tokens[i]) same = false;
      if (!same) {
        index = new Map();
        indexed = 0;
      }
    }
    tokens = h;
    for (let end = indexed; end < h.length; end++) {
      for (let n = minN; n <= maxN && end - n + 1 >= 0; n++) {
        const k = key(h, end, n);
        const list = index.get(k);
        if (list) list.push(end);
        else index.set(k, [end]);
      }
    }
    indexed = h.length;
  };

  return {
    name: "ngram",
    cheap: true,
    async propose(history, k): Promise<DraftProposal> {
      if (k <= 0 || history.length < 2) return { tokens: [] };
      extend(history);
      const last = history.length - 1;
      for (let n = Math.min(maxN, history.length - 1); n >= minN; n--) {
        const list = index.get(key(history, last, n));
        if (!list) continue;
        // most recent earlier occurrence that has a continuation
        for (let j = list.length - 1; j >= 0; j--) {
          const end = list[j]!;
          if (end >= last) continue;
          const out = history.slice(end + 1, Math.min(end + 1 + k, history.length));
          if (out.length > 0) return { tokens: out };
        }
      }
      return { tokens: [] };
    },
  };
}
