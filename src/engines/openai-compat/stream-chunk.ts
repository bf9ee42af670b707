import type { SpeculativeStats } from "../../core/types.js";

/** The parts of an OpenAI-style completion stream chunk Ghostline reads (vLLM, SGLang, llama-server). */
export interface CompletionChunk {
  choices?: { index?: number; text?: string; finish_reason?: string | null; stop_reason?: string | number | null; token_ids?: number[] | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  /** llama-server extension. */
  timings?: { prompt_n?: number; cache_n?: number; predicted_n?: number; draft_n?: number; draft_n_accepted?: number };
  error?: { message?: string; type?: string; code?: number | string } | string;
}

/** Upstream facts gathered over one stream. */
export interface StreamFacts {
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
  draftN?: number;
  draftAccepted?: number;
}

/** Folds a chunk's usage/timings into `facts`. */
export function collectFacts(facts: StreamFacts, chunk: CompletionChunk): void {
  const u = chunk.usage;
  if (u) {
    if (typeof u.prompt_tokens === "number") facts.promptTokens = u.prompt_tokens;
    if (typeof u.completion_tokens === "number") facts.completionTokens = u.completion_tokens;
    const cached = u.prompt_tokens_details?.cached_tokens;
    if (typeof cached === "number") facts.cachedTokens = cached;
  }
  const t = chunk.timings;
  if (t) {
    if (typeof t.prompt_n === "number" && typeof t.cache_n === "number") {
      facts.promptTokens = t.prompt_n + t.cache_n;
      facts.cachedTokens = t.cache_n;
    }
    if (typeof t.predicted_n === "number") facts.completionTokens = t.predicted_n;
    if (typeof t.draft_n === "number") facts.draftN = t.draft_n;
    if (typeof t.draft_n_accepted === "number") facts.draftAccepted = t.draft_n_accepted;
  }
}

/**
 * Speculative statistics from llama-server's `timings.draft_n`/`draft_n_accepted` (vLLM reports
 * none per request). Target passes are estimated as completion tokens − accepted drafts
 * (each pass yields its accepted drafts plus one token); per-position counts are unknown.
 */
export function speculativeFromFacts(facts: StreamFacts, completionTokens: number): SpeculativeStats | undefined {
  if (facts.draftN === undefined || facts.draftAccepted === undefined) return undefined;
  const passes = Math.max(1, completionTokens - facts.draftAccepted);
  return {
    targetPasses: passes,
    proposed: { "draft-model": facts.draftN },
    accepted: { "draft-model": facts.draftAccepted },
    proposedByPosition: [],
    acceptedByPosition: [],
    tokensPerPass: completionTokens / passes,
  };
}
