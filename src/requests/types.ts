/**
 * The contract between the HTTP/WS edge (server/) and the request lifecycle (requests/).
 */
import type { EngineEvent, FimInput, SamplingParams, SpeculativeOptions, StopRules, Usage, StopReason } from "../core/types.js";

/** Which protocol a request came in on (for metrics and feedback records). */
export type RequestSource = "openai" | "infill" | "tabby" | "ws" | "lsp" | "native";

/** A validated completion request from any protocol, limits already applied. */
export interface CompletionRequest {
  tenant: string;
  /** Hashed or raw user id as given by auth; the feedback layer salts/hashes before storing. */
  user?: string;
  /**
   * Who is typing: the user (auth's, else the request's) or, without one, the client's network
   * address. Latest wins per tenant + client + document, and the typing cadence and HTTP
   * typing-through records are per client too: two developers on one team key editing the same
   * file path do not cancel each other's completions. The cache stays tenant-wide.
   */
  client?: string;
  /** Document identity (uri or filepath). Requests with the same tenant+client+documentKey are "latest wins". */
  documentKey?: string;
  /** One of n > 1 choices of one client request (see EngineRequest.parallel). */
  parallel?: boolean;
  fim: FimInput;
  sampling: SamplingParams;
  stop: StopRules;
  /** Undefined = config default. */
  speculative?: Partial<SpeculativeOptions>;
  clientDraft?: string;
  /** Time budget from arrival (ms); config default when absent. */
  deadlineMs?: number;
  /** Model version requested (registry); default when absent. */
  model?: string;
  source: RequestSource;
  /** Telemetry level the client / key asked for; the feedback layer stores at min(server, tenant, this). */
  telemetry?: "off" | "metrics" | "code";
  /** Experiment arm; when absent the manager assigns one from the user (sticky, hashed). */
  arm?: { experiment: string; arm: string };
  /** Arrival time (epoch ms, performance-independent) for queue/latency accounting. */
  arrivedAt: number;
}

/** The last event of a completion stream, with the id feedback events refer to. */
export interface CompletionDone {
  type: "done";
  completionId: string;
  model: string;
  modelVersion: string;
  text: string;
  stopReason: StopReason;
  usage: Usage;
  /**
   * How the result was obtained without (full) new generation: "lookahead" = a new generation
   * whose first token had been computed before the keystroke (streamed at once).
   */
  reused?: "typing-through" | "cache" | "lookahead";
  /** Experiment arm that served it, if any. */
  arm?: { experiment: string; arm: string };
}

/**
 * A text delta of a completion. `completionId` is the id its `done` event will carry: clients learn
 * it with the first text, so feedback on a suggestion dismissed (or accepted) while it is still
 * streaming can name it.
 */
export type CompletionDelta = Extract<EngineEvent, { type: "delta" }> & { completionId: string };

export type CompletionEvent = CompletionDelta | CompletionDone;

/**
 * Orchestrates completions. Concurrency contract: `complete` may be called concurrently; a newer
 * request with the same (tenant, documentKey) supersedes an older one, whose stream then ends with
 * stopReason "cancelled" (or is continued as typing-through when the new text extends it). Aborting
 * `signal` ends the stream with "cancelled" within one decode step. Throws GhostlineError
 * `overloaded` (before any event) when admission control sheds the request.
 */
export interface RequestManager {
  complete(request: CompletionRequest, options: { signal?: AbortSignal }): AsyncIterable<CompletionEvent>;
  /** Stats for /metrics and tests: in-flight requests, queued requests, cache size. */
  stats(): { inFlight: number; queued: number; cacheEntries: number };
  close(): Promise<void>;
  /**
   * Optional: called by the edge after an "accepted" / "partially_accepted" feedback event; the
   * manager may prefetch the next completion (prefix + accepted text). Best effort, never throws.
   */
  onAccepted?(completionId: string, acceptedChars?: number): void;
}
