/**
 * Conversions between the wire protocol (@ghostline/protocol, snake_case) and the lifecycle's
 * domain types, for the WebSocket session.
 */
import type { GenerationParams, WireUsage } from "@ghostline/protocol";
import type { z } from "zod";
import type { Config } from "../config/schema.js";
import type { SamplingParams, SpeculativeOptions, StopRules, Usage } from "../core/types.js";

type WireParams = z.infer<typeof GenerationParams>;

/** Sampling, stop rules and speculation of a request from its wire parameters and config defaults. */
export function paramsFromWire(
  p: WireParams,
  config: Config,
): { sampling: SamplingParams; stop: StopRules; speculative?: Partial<SpeculativeOptions>; clientDraft?: string; deadlineMs?: number; model?: string } {
  const stops = p.stop === undefined ? [] : Array.isArray(p.stop) ? p.stop : p.stop === "" ? [] : [p.stop];
  let speculative: Partial<SpeculativeOptions> | undefined;
  if (typeof p.speculative === "boolean") speculative = { enabled: p.speculative };
  else if (p.speculative) {
    speculative = {
      ...(p.speculative.enabled !== undefined ? { enabled: p.speculative.enabled } : {}),
      ...(p.speculative.sources ? { sources: p.speculative.sources } : {}),
      ...(p.speculative.k !== undefined ? { k: p.speculative.k } : {}),
      ...(p.speculative.max_k !== undefined ? { maxK: p.speculative.max_k } : {}),
    };
  }
  return {
    sampling: { temperature: p.temperature ?? 0, topP: p.top_p ?? 1, topK: p.top_k ?? 0, ...(p.seed !== undefined ? { seed: p.seed } : {}) },
    stop: { maxTokens: p.max_tokens ?? config.requests.defaultMaxTokens, stop: stops, mode: p.mode ?? "none" },
    ...(speculative ? { speculative } : {}),
    ...(p.client_draft !== undefined ? { clientDraft: p.client_draft } : {}),
    ...(p.deadline_ms !== undefined ? { deadlineMs: p.deadline_ms } : {}),
    ...(p.model !== undefined ? { model: p.model } : {}),
  };
}

/** Usage in wire form (snake_case). */
export function usageToWire(u: Usage): WireUsage {
  const t = u.timings;
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_reused: u.promptTokensReused,
    prompt_tokens_evaluated: u.promptTokensEvaluated,
    timings: { queue_ms: t.queueMs, prefill_ms: t.prefillMs, first_token_ms: t.firstTokenMs, decode_ms: t.decodeMs, total_ms: t.totalMs },
    ...(u.speculative
      ? {
          speculative: {
            target_passes: u.speculative.targetPasses,
            tokens_per_pass: u.speculative.tokensPerPass,
            proposed: { ...u.speculative.proposed },
            accepted: { ...u.speculative.accepted },
            acceptance_by_position: u.speculative.proposedByPosition.map((n, i) => (n > 0 ? (u.speculative?.acceptedByPosition[i] ?? 0) / n : 0)),
          },
        }
      : {}),
  };
}
