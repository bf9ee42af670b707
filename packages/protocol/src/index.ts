/**
 * Ghostline wire protocol: the JSON shapes exchanged between the server and its clients (client
 * library, LSP server, playground, VS Code extension). Depends on zod only.
 *
 * WebSocket `/v1/stream`: one JSON message per frame. Client → server messages are `ClientMessage`,
 * server → client messages are `ServerMessage`. Completions are keyed by a client-chosen `id`;
 * a newer `complete` for the same `uri` supersedes the older one (latest wins).
 */
import { z } from "zod";

/** Size limits (characters) applied by the server to every text field. */
export const LIMITS = {
  prefixChars: 64_000,
  suffixChars: 32_000,
  documentChars: 1_000_000,
  extraItems: 16,
  extraChars: 16_000,
  stopItems: 8,
  stopChars: 64,
  clientDraftChars: 4_000,
  maxTokens: 512,
  n: 8,
  feedbackBatch: 500,
  idChars: 128,
  uriChars: 2_048,
} as const;

export const Position = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) });
export type Position = z.infer<typeof Position>;
export const Range = z.object({ start: Position, end: Position });
export type Range = z.infer<typeof Range>;

export const SpeculativeField = z.union([
  z.boolean(),
  z.object({
    enabled: z.boolean().optional(),
    sources: z.array(z.enum(["draft-model", "ngram", "client"])).max(3).optional(),
    k: z.number().int().min(1).max(32).optional(),
    max_k: z.number().int().min(1).max(32).optional(),
  }),
]);
export type SpeculativeField = z.infer<typeof SpeculativeField>;

export const ExtraContext = z.object({
  filepath: z.string().max(LIMITS.uriChars),
  text: z.string().max(LIMITS.extraChars),
});

/** Generation parameters shared by every completion request. */
export const GenerationParams = z.object({
  max_tokens: z.number().int().min(1).max(LIMITS.maxTokens).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).max(1000).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string().max(LIMITS.stopChars), z.array(z.string().min(1).max(LIMITS.stopChars)).max(LIMITS.stopItems)]).optional(),
  /** "line": stop at the end of the line; "block": stop when the block ends; "none" (default). */
  mode: z.enum(["none", "line", "block"]).optional(),
  speculative: SpeculativeField.optional(),
  /** The suggestion currently shown (or previously generated) at this position: drafts for the verifier. */
  client_draft: z.string().max(LIMITS.clientDraftChars).optional(),
  /** Time budget in ms from arrival; generation ends at a line end once it runs out. */
  deadline_ms: z.number().int().min(1).max(60_000).optional(),
  model: z.string().max(200).optional(),
});

/** A completion request with explicit prefix/suffix (stateless). */
export const CompleteWithText = GenerationParams.extend({
  prefix: z.string().max(LIMITS.prefixChars),
  suffix: z.string().max(LIMITS.suffixChars).default(""),
  language: z.string().max(64).optional(),
  filepath: z.string().max(LIMITS.uriChars).optional(),
  extra: z.array(ExtraContext).max(LIMITS.extraItems).optional(),
});

/** A completion request against a synced document (session): the server cuts prefix/suffix at `position`. */
export const CompleteAtPosition = GenerationParams.extend({
  uri: z.string().max(LIMITS.uriChars),
  version: z.number().int().min(0).optional(),
  position: Position,
  extra: z.array(ExtraContext).max(LIMITS.extraItems).optional(),
});

export const TextDocumentItem = z.object({
  uri: z.string().max(LIMITS.uriChars),
  languageId: z.string().max(64).default("plaintext"),
  version: z.number().int().min(0),
  text: z.string().max(LIMITS.documentChars),
});

export const ContentChange = z.object({
  /** Absent range = full text replacement (LSP semantics). */
  range: Range.optional(),
  text: z.string().max(LIMITS.documentChars),
});

/** Feedback event kinds (see the feedback store for the full, versioned schemas). */
export const FeedbackEvent = z.object({
  type: z.enum(["shown", "accepted", "partially_accepted", "dismissed", "retention"]),
  completion_id: z.string().max(LIMITS.idChars),
  /** Client timestamp, epoch ms. */
  ts: z.number().int().optional(),
  /** shown: how long it was visible (ms) */
  visible_ms: z.number().min(0).optional(),
  /** accepted / partially accepted: characters accepted, unit ("all" | "word" | "line") */
  accepted_chars: z.number().int().min(0).optional(),
  unit: z.enum(["all", "word", "line", "char"]).optional(),
  /** retention: seconds after accept, similarity 0..1 of accepted text still present */
  interval_s: z.number().int().min(0).optional(),
  similarity: z.number().min(0).max(1).optional(),
  /** the code the user ended with (only stored at telemetry level "code") */
  kept_text: z.string().max(LIMITS.extraChars).optional(),
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

export const ClientMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    client: z.string().max(100).optional(),
    telemetry: z.enum(["off", "metrics", "code"]).optional(),
    user: z.string().max(200).optional(),
  }),
  z.object({ type: z.literal("open"), document: TextDocumentItem }),
  z.object({
    type: z.literal("change"),
    uri: z.string().max(LIMITS.uriChars),
    version: z.number().int().min(0),
    changes: z.array(ContentChange).max(1000),
  }),
  z.object({ type: z.literal("close"), uri: z.string().max(LIMITS.uriChars) }),
  /** Either prefix (+ suffix) or uri + position (a synced document) must be given. */
  GenerationParams.extend({
    type: z.literal("complete"),
    id: z.string().min(1).max(LIMITS.idChars),
    prefix: z.string().max(LIMITS.prefixChars).optional(),
    suffix: z.string().max(LIMITS.suffixChars).optional(),
    language: z.string().max(64).optional(),
    filepath: z.string().max(LIMITS.uriChars).optional(),
    uri: z.string().max(LIMITS.uriChars).optional(),
    version: z.number().int().min(0).optional(),
    position: Position.optional(),
    extra: z.array(ExtraContext).max(LIMITS.extraItems).optional(),
  }),
  z.object({ type: z.literal("cancel"), id: z.string().min(1).max(LIMITS.idChars) }),
  z.object({ type: z.literal("feedback"), events: z.array(FeedbackEvent).max(LIMITS.feedbackBatch) }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Completion usage as sent on the wire (snake_case). */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_reused: number;
  prompt_tokens_evaluated: number;
  timings: { queue_ms: number; prefill_ms: number; first_token_ms: number; decode_ms: number; total_ms: number };
  speculative?: {
    target_passes: number;
    tokens_per_pass: number;
    proposed: Record<string, number>;
    accepted: Record<string, number>;
    acceptance_by_position: number[];
  };
}

export type ServerMessage =
  | { type: "hello"; server: string; version: string; session: string; settings: ClientSettings }
  /** `completion_id` comes with a completion's first delta (the id feedback events refer to, as in `done`). */
  | { type: "delta"; id: string; text: string; completion_id?: string }
  | {
      type: "done";
      id: string;
      completion_id: string;
      text: string;
      stop_reason: string;
      model: string;
      usage: WireUsage;
      /** how the completion was served without a new generation from its first pass: trimming an in-flight/shown one (typing-through), the cache, or a new generation whose first token a lookahead probe had computed */
      reused?: "typing-through" | "cache" | "lookahead";
    }
  | { type: "error"; id?: string; error: { code: string; message: string } }
  | { type: "ack"; count: number }
  | { type: "pong" };

/** Settings the server sends to clients (experiments may vary them per user). */
export interface ClientSettings {
  debounceMs: number;
  shownThresholdMs: number;
  telemetry: "off" | "metrics" | "code";
  experiment?: { id: string; arm: string };
}
export { parseHotMessage } from "./hot-path.js";
