/**
 * Prompt-lookup (n-gram) draft source: finds the most recent earlier occurrence of the last n
 * tokens (n = maxN..1) anywhere in the committed history — which holds the suffix, the prefix and
 * the extra context of the FIM prompt plus everything generated — and proposes what followed it.
 * Code repeats itself (identifiers, closing brackets, the suffix right after the cursor), so this
 * costs a hash lookup and often drafts several correct tokens.
 */
import type { DraftProposal, DraftSource } from "./draft-source.js";
import { NgramIndex } from "./ngram-index.js";

/**
 * Options: `maxN` longest n-gram tried (default 3), `minN` shortest (default 1); `index`: an index
 * kept by the caller across requests (the engine keeps one per sequence slot, so a keystroke's
 * request indexes only what changed), used by one request at a time.
 */
export interface NgramSourceOptions {
  maxN?: number;
  minN?: number;
  index?: NgramIndex;
}

/** Creates an n-gram source for one request. */
export function createNgramSource(options: NgramSourceOptions = {}): DraftSource {
  const index = options.index ?? new NgramIndex(options.maxN ?? 3, options.minN ?? 1);
  return {
    name: "ngram",
    cheap: true,
    async propose(history, k): Promise<DraftProposal> {
      if (k <= 0 || history.length < 2) return { tokens: [] };
      index.sync(history);
      return { tokens: index.propose(k) };
    },
  };
}
