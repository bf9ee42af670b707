/**
 * The draft-source contract of the speculative decoder.
 */
import type { DraftSourceName } from "../core/types.js";
import type { TokenDist } from "./sampling.js";

/** A proposal: draft tokens and, for stochastic sources while sampling, the distribution each was drawn from. */
export interface DraftProposal {
  tokens: number[];
  /** q_i per token (stochastic sources in sampling mode); absent = deterministic (point mass). */
  dists?: TokenDist[];
  /**
   * History tokens the source evaluated to catch up before drafting (the draft model: the prompt on
   * first use, else the tokens committed since its last proposal). The cost model prices long
   * catch-ups per caught-up token, short ones into the drafted tokens (CostModel.observe).
   */
  synced?: number;
}

/**
 * A source of draft tokens. `history` is every committed token of the sequence: the prompt plus the
 * generated tokens, whose last one (the "pending" token) the target has not evaluated yet.
 * Concurrency contract: one request owns a source instance; calls never overlap.
 */
export interface DraftSource {
  readonly name: DraftSourceName;
  /** True when proposals cost nothing worth measuring (n-gram, client): the decoder shadow-scores them every step. */
  readonly cheap: boolean;
  /** Proposes up to `k` tokens that continue `history` (fewer or none when it has nothing). */
  propose(history: readonly number[], k: number, options: { signal?: AbortSignal }): Promise<DraftProposal>;
  /**
   * History tokens the source would have to catch up on before drafting after `history` (the draft
   * model: those its KV state lacks); absent = none.
   */
  lag?(history: readonly number[]): number;
  /** Frees per-request state (e.g. trims the draft model's sequence). */
  dispose?(): Promise<void>;
}
