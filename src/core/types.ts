/**
 * Domain types shared by every layer. Units are in the names (Ms = milliseconds).
 */

/** Why a generation ended. `cancelled` is a normal result, not an error. */
export type StopReason =
  | "eos" // the model ended the middle (end-of-sequence / end-of-text token)
  | "max_tokens"
  | "stop_string"
  | "end_of_line" // stop mode "line" reached a newline
  | "end_of_block" // stop mode "block" left the cursor's block (dedent or blank line)
  | "deadline" // the request's time budget ran out (returns what it had, cut at a line end)
  | "context_full"
  | "cancelled"
  | "error";

/** Sampling parameters. temperature 0 = greedy. Defaults: temperature 0, topP 1, topK 0 (off). */
export interface SamplingParams {
  temperature: number;
  topP: number;
  topK: number;
  seed?: number;
}

/** Stop rules. `mode`: "none" = only maxTokens/stop/EOS; "line" = stop at the first newline; "block" = stop when the block ends. */
export interface StopRules {
  maxTokens: number;
  stop: string[];
  mode: "none" | "line" | "block";
}

/** Names of the draft sources of the speculative decoder. */
export type DraftSourceName = "draft-model" | "ngram" | "client";
/** The keys of SpeculativeStats' proposed / accepted counts: the draft sources, and "heal" (token healing's first-pass draft). */
export type DraftStatName = DraftSourceName | "heal";

/** Per-request speculation controls; the defaults come from config (`speculative` section). */
export interface SpeculativeOptions {
  enabled: boolean;
  /** Sources to use, in preference order; default all available. */
  sources?: DraftSourceName[];
  /** Fixed draft length; when absent the decoder adapts K. */
  k?: number;
  /** Max draft length when adapting. */
  maxK?: number;
}

/** A snippet of repository context (another file, a declaration, a recently edited region). */
export interface ExtraContext {
  filepath: string;
  text: string;
}

/** A fill-in-the-middle input: the text before and after the cursor. */
export interface FimInput {
  prefix: string;
  suffix: string;
  language?: string;
  filepath?: string;
  extra?: ExtraContext[];
}

/** Speculative-decoding statistics of one request. */
export interface SpeculativeStats {
  /** Target forward passes used for generation (prefill excluded). */
  targetPasses: number;
  /**
   * Tokens drafted / accepted per source; "heal": the healed token drafted on the first pass
   * (DecodeOptions.firstDraft), not in the per-position counts.
   */
  proposed: Partial<Record<DraftStatName, number>>;
  accepted: Partial<Record<DraftStatName, number>>;
  /** acceptedByPosition[i] / proposedByPosition[i]: acceptance at draft position i (0-based). */
  proposedByPosition: number[];
  acceptedByPosition: number[];
  /** completion tokens / target passes. */
  tokensPerPass: number;
}

/** Usage and timings of one completion. */
export interface Usage {
  promptTokens: number;
  /** Prompt tokens whose KV state was reused from an earlier request. */
  promptTokensReused: number;
  /** Prompt tokens actually evaluated (promptTokens - reused). */
  promptTokensEvaluated: number;
  completionTokens: number;
  timings: {
    queueMs: number;
    prefillMs: number;
    firstTokenMs: number;
    decodeMs: number;
    totalMs: number;
  };
  speculative?: SpeculativeStats;
  /** Whether the prompt was truncated to fit the token budget. */
  truncated: boolean;
}

/** What an engine streams back. Text deltas are post-stop-rule text (never past a stop string). */
export type EngineEvent =
  | { type: "delta"; text: string; tokens: number }
  | {
      type: "done";
      stopReason: StopReason;
      usage: Usage;
      text: string;
      /**
       * When the request asked for `alternatives`: the most likely next characters at the cursor
       * other than the completion's own first character (from the first position's top tokens,
       * most likely first). What the user may type instead of accepting the suggestion.
       */
      alternatives?: string[];
    };

/** One generation request as the engine sees it (already validated, limits applied). */
export interface EngineRequest {
  /** Tenant id: KV/prefix state is never shared across tenants. */
  tenant: string;
  /** Affinity key (tenant + document); the engine prefers the sequence that last served this key. */
  affinityKey: string;
  fim: FimInput;
  sampling: SamplingParams;
  stop: StopRules;
  speculative: SpeculativeOptions;
  /** Text the client is showing or was shown at this position: used as draft tokens. */
  clientDraft?: string;
  /** Absolute deadline (epoch ms). On expiry generation stops at the next line end with stopReason "deadline". */
  deadline?: number;
  /** Scheduling priority: higher runs first when queued (newest keystroke gets the highest). */
  priority?: number;
  /**
   * One of several choices of one request (n > 1): runs beside its siblings, so it must not wait
   * for the KV sequence a sibling holds (a superseded request's sequence is worth waiting for).
   */
  parallel?: boolean;
  /** Model version to use (registry); engine default when absent. */
  model?: string;
  /**
   * Report up to `count` alternative next characters in the done event (`alternatives`), each at
   * least `minProbability` likely at the cursor (summed over the top tokens that start with it).
   * Greedy requests only; engines that cannot tell ignore it.
   */
  alternatives?: { count: number; minProbability: number };
  /**
   * A lookahead probe (the request manager's first-token prefetch): it ends after its first pass
   * (at most stop.maxTokens tokens: one, or two when the healed token's draft is accepted), and the
   * text after the last token is not flushed at max_tokens, so it is exactly what the same request
   * without the limits streams first.
   */
  probe?: boolean;
}

/** Static facts about a loaded engine/model. */
export interface EngineInfo {
  id: string;
  kind: "llama-cpp" | "openai-compat" | "fake" | "router";
  model: string;
  modelVersion: string;
  family: string;
  contextSize: number;
  draftModel?: string;
  sequences: number;
}

/**
 * An inference engine. Concurrency contract: `complete` may be called concurrently from many
 * requests; implementations queue or batch internally and must honour `signal` within one decode
 * step (or one prefill chunk). After `done`, no further events are emitted. A cancelled request
 * ends with a `done` event whose stopReason is "cancelled" (it does not throw).
 */
export interface Engine {
  readonly info: EngineInfo;
  complete(request: EngineRequest, options: { signal?: AbortSignal }): AsyncIterable<EngineEvent>;
  /** Resolves when healthy; throws a GhostlineError otherwise. */
  health(): Promise<{ ok: true; details?: Record<string, unknown> }>;
  /** Frees native resources; pending requests end as cancelled. */
  close(): Promise<void>;
}
