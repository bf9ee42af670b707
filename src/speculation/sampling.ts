/**
 * Sampling primitives shared by plain and speculative decoding: a seeded PRNG, sparse token
 * distributions (the transformed maps node-llama-cpp returns) and draws from them.
 */
import type { SamplingParams } from "../core/types.js";
import { fmix32, mulberry32 } from "../core/random.js";

/** A sparse distribution over token ids: probabilities after the temperature/top-k/top-p transform. */
export type TokenDist = Map<number, number>;

/** A deterministic PRNG returning floats in [0, 1). */
export type Rng = () => number;

/** Creates a seeded PRNG (mulberry32). Same seed → same sequence. Default seed: Date.now(). */
export function createRng(seed: number = Date.now()): Rng {
  return mulberry32(seed);
}

/**
 * The seed of output position `position` of a decode whose base seed is `base`: a 32-bit mix
 * (MurmurHash3's finaliser) of both, so that the token drawn at a position does not depend on how
 * many seeds earlier passes used (drafts of any length, rejected or not).
 */
export function positionSeed(base: number, position: number): number {
  return fmix32((base ^ Math.imul(position + 1, 0x9e3779b9)) >>> 0);
}

/** True when the sampling parameters mean greedy argmax decoding (temperature 0). */
export function isGreedy(sampling: SamplingParams): boolean {
  return !(sampling.temperature > 0);
}

/** Returns a copy of `dist` scaled to sum to 1 (entries ≤ 0 dropped). Empty in → empty out. */
export function normalize(dist: TokenDist): TokenDist {
  let sum = 0;
  for (const p of dist.values()) if (p > 0) sum += p;
  const out: TokenDist = new Map();
  if (sum <= 0) return out;
  for (const [t, p] of dist) if (p > 0) out.set(t, p / sum);
  return out;
}

/** Draws a token from `dist` (need not be normalised). Throws on an empty distribution. */
export function sample(dist: TokenDist, rng: Rng): number {
  let sum = 0;
  for (const p of dist.values()) if (p > 0) sum += p;
  if (!(sum > 0)) throw new Error("cannot sample from an empty distribution");
  let r = rng() * sum;
  let last = -1;
  for (const [t, p] of dist) {
    if (p <= 0) continue;
    last = t;
    r -= p;
    if (r < 0) return t;
  }
  return last;
}

/** The most probable token of `dist` (first on ties, in map order). */
export function argmax(dist: TokenDist): number {
  let best = -1;
  let bestP = -Infinity;
  for (const [t, p] of dist) {
    if (p > bestP) {
      best = t;
      bestP = p;
    }
  }
  return best;
}
