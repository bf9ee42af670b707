/**
 * The target side of the decoder: evaluates tokens appended to the target's KV sequence in one
 * pass, asking at every position for the next token (greedy argmax, or drawn by llama.cpp's
 * sampler when sampling) or for the transformed next-token distribution, and erases rejected tokens.
 */
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token, TokenBias } from "node-llama-cpp";
import type { SamplingParams } from "../core/types.js";
import { isGreedy, type TokenDist } from "./sampling.js";

/** Per-position output of a verify pass. */
export interface TargetOutput {
  token?: number;
  dist?: TokenDist;
}

/** What the decoder needs from the target sequence. */
export interface TargetEvaluator {
  /** Tokens currently in the sequence's KV state. */
  readonly length: number;
  /**
   * Appends `lead` (no output wanted: prompt tokens not yet evaluated) and `tokens` in one native
   * pass, returning next-token output for each position of `tokens`. Greedy: the argmax `token`.
   * Sampling: with `seeds` (one per position of `tokens`), a `token` drawn natively from the
   * transformed distribution, each position with its own seed; without, the distribution `dist`
   * itself (a map over the vocabulary after top-k / top-p: the full vocabulary when both are off).
   */
  evaluate(tokens: readonly number[], lead?: readonly number[], seeds?: readonly number[]): Promise<TargetOutput[]>;
  /** Erases every token from `start` on. */
  truncate(start: number): Promise<void>;
}

/**
 * The llama.cpp sampler options for a distribution request. top-k 0 means "off" (a full-vocabulary
 * map: slower, exact). Temperature is clamped away from 0 only for the map request.
 */
export function samplingOptions(sampling: SamplingParams): {
  temperature: number;
  topK: number;
  topP: number;
} {
  return {
    temperature: Math.max(sampling.temperature, 1e-3),
    topK: Math.max(0, sampling.topK),
    topP: sampling.topP > 0 ? Math.min(1, sampling.topP) : 1,
  };
}

/** Top tokens of the first output position (greedy runs that asked for alternatives). */
export interface FirstAlternatives {
  /** How many top tokens to report (the chosen one included). */
  count: number;
  /** Receives them, most likely first, with their probabilities among the reported ones. */
  onTop: (top: { token: number; p: number }[]) => void;
}

/**
 * Wraps a node-llama-cpp sequence as a TargetEvaluator for the given sampling parameters.
 * `firstBias` (token healing) constrains the first output position of the first pass only.
 * `alternatives` (greedy only): the first output position of the first pass also reports its top
 * tokens. It is then sampled through top-k instead of the greedy sampler, and its token is the
 * argmax of the top-k logits, which is the greedy token.
 */
export function createTargetEvaluator(
  sequence: LlamaContextSequence,
  sampling: SamplingParams,
  firstBias?: TokenBias,
  alternatives?: FirstAlternatives,
): TargetEvaluator {
  const greedy = isGreedy(sampling);
  const options = greedy ? undefined : samplingOptions(sampling);
  const generateNext = greedy ? { token: true as const } : { probabilities: true as const, options };
  let bias = firstBias;
  let top = greedy && alternatives && alternatives.count > 1 ? alternatives : undefined;
  return {
    get length() {
      return sequence.nextTokenIndex;
    },
    async evaluate(tokens, lead = [], seeds) {
      const drawn = !greedy && seeds !== undefined;
      const items: ControlledEvaluateInputItem[] = [...(lead as Token[])];
      const wantTop = top && tokens.length > 0 ? top : undefined;
      top = undefined;
      tokens.forEach((t, i) => {
        const next =
          i === 0 && wantTop
            ? { probabilities: true as const, options: { temperature: 1, topK: wantTop.count } }
            : drawn
              ? { token: true as const, options: { ...options, seed: seeds[i] ?? 0 } }
              : generateNext;
        // greedy: the default options of node-llama-cpp's sampler are temperature 0 (argmax)
        const constrained = i === 0 && bias ? { ...next, options: { ...("options" in next ? next.options : {}), tokenBias: bias } } : next;
        items.push([t as Token, { generateNext: constrained }]);
      });
      bias = undefined;
      const out = await sequence.controlledEvaluate(items);
      if (wantTop) {
        const first = out[lead.length]?.next;
        const ranked = [...(first?.probabilities ?? new Map<Token, number>()).entries()]
          .map(([token, p]) => ({ token, p }))
          .sort((a, b) => b.p - a.p);
        if (first && ranked.length > 0) {
          // the argmax of the top-k logits is the greedy sampler's choice
          first.token = ranked[0]!.token;
          wantTop.onTop(ranked);
        }
      }
      return out.slice(lead.length).map((o) =>
        greedy || drawn
          ? { token: o?.next.token ?? undefined }
          : { dist: o?.next.probabilities as TokenDist | undefined },
      );
    },
    async truncate(start) {
      const end = sequence.nextTokenIndex;
      if (start < end) await sequence.eraseContextTokenRanges([{ start, end }]);
    },
  };
}
