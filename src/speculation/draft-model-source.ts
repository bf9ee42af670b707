/**
 * Draft-model source: a small model on its own KV sequence (same slot index as the target's, in a
 * separate context). Before each proposal the sequence is synced to the committed history by
 * longest common prefix — rejected draft tokens are erased, missing tokens evaluated (in chunks,
 * checking the signal) — then it decodes k tokens one at a time, greedily, or when sampling with a
 * top-k of at most MAP_TOP_K by drawing from its transformed distribution (the same temperature /
 * top-k / top-p as the target), which it returns as q for the rejection acceptor. Without such a
 * top-k that distribution spans the vocabulary, and a map per position (the target's and the
 * draft's) cost more than the better acceptance gains (bench/sampled-decode.ts: 3.5× the greedy
 * per-token time instead of 2.2× at vocabulary 4,096, 29× instead of 5.7× at 151,936), so the
 * proposals are then its greedy tokens, point masses the decoder verifies with drawn tokens. So
 * are they in a request with a seed (`greedyProposals`): the decoder then verifies every draft as a
 * point mass (speculative-decoder.ts), accepted with the target's p(x), which the draft's argmax
 * maximises.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { SamplingParams } from "../core/types.js";
import type { DraftProposal, DraftSource } from "./draft-source.js";
import { isGreedy, sample, type Rng, type TokenDist } from "./sampling.js";
import { samplingOptions } from "./target-evaluator.js";

/** Largest top-k for which sampled proposals carry their distribution (maps of ≤ this many entries). */
export const MAP_TOP_K = 64;

/** Options of the draft-model source. `chunk`: prefill chunk in tokens (default 64). */
export interface DraftModelSourceOptions {
  sequence: LlamaContextSequence;
  sampling: SamplingParams;
  rng: Rng;
  chunk?: number;
  /** Context size of the draft sequence: proposals stop before it is full. */
  contextSize: number;
  /** Propose greedy tokens also when sampling (a request with a seed). */
  greedyProposals?: boolean;
}

/** Creates the draft-model source for one request. */
export function createDraftModelSource(options: DraftModelSourceOptions): DraftSource {
  const { sequence, sampling, rng, contextSize } = options;
  const chunk = options.chunk ?? 64;
  const greedy = isGreedy(sampling) || options.greedyProposals === true || !(sampling.topK > 0 && sampling.topK <= MAP_TOP_K);
  const genOpts = greedy
    ? { token: true as const }
    : { probabilities: true as const, options: samplingOptions(sampling) };

  const pick = (next: { token?: Token | null; probabilities?: Map<Token, number> } | undefined) => {
    if (!next) return { token: undefined, dist: undefined };
    if (greedy) return { token: next.token ?? undefined, dist: undefined };
    const dist = next.probabilities as TokenDist | undefined;
    return { token: dist && dist.size > 0 ? sample(dist, rng) : undefined, dist };
  };

  return {
    name: "draft-model",
    cheap: false,
    lag(history) {
      if (history.length === 0) return 0;
      const common = sequence.compareContextTokens(history as Token[]).firstDifferentIndex;
      return Math.max(0, history.length - 1 - common);
    },
    async propose(history, k, { signal }): Promise<DraftProposal> {
      k = Math.min(k, contextSize - history.length - 1);
      if (k <= 0 || history.length === 0) return { tokens: [] };
      let start = sequence.compareContextTokens(history as Token[]).firstDifferentIndex;
      if (start >= history.length) start = history.length - 1; // re-evaluate the last token for its output
      if (start < sequence.nextTokenIndex)
        await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
      // sync: evaluate history[start .. len-1) without outputs, in chunks
      for (let i = start; i < history.length - 1; i += chunk) {
        if (signal?.aborted) return { tokens: [] };
        await sequence.controlledEvaluate(
          history.slice(i, Math.min(i + chunk, history.length - 1)) as Token[],
        );
      }
      const tokens: number[] = [];
      const dists: TokenDist[] = [];
      let input = history[history.length - 1]!;
      for (let i = 0; i < k; i++) {
        if (signal?.aborted) break;
        const out = await sequence.controlledEvaluate([[input as Token, { generateNext: genOpts }]]);
        const { token, dist } = pick(out[0]?.next);
        if (token === undefined) break;
        tokens.push(token);
        if (dist) dists.push(dist);
        input = token;
      }
      const synced = Math.max(0, history.length - 1 - start);
      return greedy ? { tokens, synced } : { tokens, dists, synced };
    },
  };
}
