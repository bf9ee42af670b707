/**
 * The one configuration schema (zod, with defaults). `loadConfig()` (config/load.ts) parses it once
 * from a JSON file (`--config` / GHOSTLINE_CONFIG), environment variables and CLI flags, and freezes it.
 * Each section belongs to one component; add fields to your own section only.
 */
import { z } from "zod";

export const TenantKey = z.object({
  /** Tenant id: every cache, sequence and record is scoped by it. */
  tenant: z.string().min(1).max(100),
  /** Optional fixed user id for this key (otherwise the request's user field). */
  user: z.string().max(200).optional(),
  /** Telemetry level ceiling for this tenant: off | metrics | code. */
  telemetry: z.enum(["off", "metrics", "code"]).optional(),
  /** May manage models (register, load, activate, unload). Loopback clients without keys always may. */
  admin: z.boolean().optional(),
});

export const ExperimentArm = z.object({
  name: z.string().min(1).max(64),
  weight: z.number().positive().default(1),
  /** Model version (registry name) this arm uses; default model when absent. */
  model: z.string().optional(),
  speculative: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  maxTokens: z.number().int().positive().optional(),
  /** Client settings sent to clients in this arm. */
  client: z.object({ debounceMs: z.number().int().min(0).max(2000).optional() }).optional(),
});

export const ConfigSchema = z.object({
  server: z
    .object({
      /** Default loopback only. */
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8017),
      /** Where anything persistent goes (SQLite events, registry, datasets). */
      dataDir: z.string().default(".data"),
      bodyLimitBytes: z.number().int().positive().default(1_048_576),
      logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      /**
       * Behind a reverse proxy: which X-Forwarded-For hops to believe for the client's address
       * (Fastify's trustProxy: true, or the trusted proxies' addresses/CIDRs, comma-separated).
       * The address tells clients without a user apart (latest wins per client and document);
       * the loopback rule of keyless auth always uses the socket's own address.
       */
      trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
    })
    .prefault({}),
  auth: z
    .object({
      /** API key -> tenant. Empty = no key needed, but then only loopback clients are served. */
      apiKeys: z.record(z.string().min(8), TenantKey).default({}),
      /** Tenant used for unauthenticated loopback requests when no keys are configured. */
      anonymousTenant: z.string().default("local"),
    })
    .prefault({}),
  engine: z
    .object({
      kind: z.enum(["llama-cpp", "openai-compat", "fake"]).default("llama-cpp"),
      /** Target GGUF; default: the shipped models/ghostline-target.gguf. */
      model: z.string().optional(),
      /** Draft GGUF for speculative decoding; default: models/ghostline-draft.gguf when the target is the shipped one. */
      draft: z.string().optional(),
      /** CPU threads for the target context (draft gets its own, total <= cores). */
      threads: z.number().int().min(1).max(256).default(1),
      draftThreads: z.number().int().min(1).max(256).default(1),
      /** Parallel sequences (KV slots) in the target context. */
      sequences: z.number().int().min(1).max(64).default(4),
      /** Context size per sequence; default: the model's trained context, capped at 4096. */
      contextSize: z.number().int().min(128).optional(),
      /** Prefill chunk size (tokens); the abort signal is checked between chunks. */
      prefillChunk: z.number().int().min(8).max(4096).default(64),
      gpu: z.boolean().default(false),
      /** openai-compat: upstream base URLs (…/v1). */
      upstreams: z.array(z.string().url()).default([]),
      upstreamModel: z.string().optional(),
      upstreamApiKey: z.string().optional(),
      /** openai-compat: the FIM template family to render (auto = from model name). */
      upstreamFamily: z.string().default("auto"),
      upstreamTimeoutMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  speculative: z
    .object({
      enabled: z.boolean().default(true),
      sources: z.array(z.enum(["draft-model", "ngram", "client"])).default(["client", "ngram", "draft-model"]),
      maxK: z.number().int().min(1).max(32).default(8),
      /** Fixed K; adaptive when absent. */
      k: z.number().int().min(1).max(32).optional(),
      /**
       * The first pass drafts the token that token healing dropped (when the model re-creates it
       * exactly, the first visible text comes from that pass): "auto" when the engine's measured
       * first-pass costs say it pays (yes on the shipped model, no for a 0.5 B model on a CPU),
       * "always", or "off".
       */
      healDraft: z.enum(["auto", "always", "off"]).default("auto"),
    })
    .prefault({}),
  requests: z
    .object({
      defaultMaxTokens: z.number().int().min(1).max(512).default(64),
      /** Default time budget per completion (ms). */
      defaultDeadlineMs: z.number().int().min(1).default(2_000),
      /** Max requests waiting for a sequence before load shedding (503 overloaded). */
      queueLimit: z.number().int().min(0).default(64),
      cacheEntries: z.number().int().min(0).default(2_000),
      /** Prompt token budgets (the model's context minus generation room caps them further). */
      prefixTokens: z.number().int().min(16).default(1_024),
      /** When the prefix is cut to its budget, the cut moves in steps of this many lines (KV reuse). */
      prefixAlignLines: z.number().int().min(1).max(256).default(16),
      /**
       * Line-anchored middle with token healing (llama.cpp engine): the prompt's prefix ends where
       * the cursor line's content starts, and the content typed before the cursor follows the
       * middle marker, its last token healed. A keystroke then evaluates one prompt position
       * instead of two or more (with PSM families such as Qwen2.5-Coder it no longer re-evaluates
       * the suffix), and rest-of-line completions of the shipped model matched the real line more
       * often (bench/anchored-middle.ts, docs/performance.md).
       */
      anchorLine: z.boolean().default(true),
      suffixTokens: z.number().int().min(0).default(256),
      extraTokens: z.number().int().min(0).default(512),
      /**
       * Multi-line pacing: while the user of a document is typing (recent keystrokes closer than
       * this many ms), a generation pauses after its first line until the next keystroke is
       * overdue (1.5 × the recent gap, at most this long), so lines a keystroke would supersede
       * are not decoded. 0 disables it.
       */
      paceMultilineMs: z.number().int().min(0).max(5_000).default(400),
      /**
       * HTTP typing-through: a generation whose client aborted (clients without a document
       * identity abort per keystroke) is parked this long — it decodes nothing more — so that the
       * client's next request, when its typed characters match the start of the parked text, is
       * served from it instead of starting over. The next request with the same affinity key, a
       * request that needs its engine slot, or this timeout ends it. 0 disables it.
       */
      parkAbortedMs: z.number().int().min(0).max(5_000).default(250),
      /**
       * Lookahead: after a greedy completion, when the engine has an idle sequence, the first token
       * of the completion for each of this many likely next characters other than the
       * suggestion's own (the model's top alternatives at the cursor) is computed in the
       * background. When the user types one of them, that token is streamed at once while the
       * generation continues. 0 disables it.
       */
      lookahead: z.number().int().min(0).max(8).default(2),
      /** Lookahead: the least probability at the cursor (model's) of a character worth a probe. */
      lookaheadMinProbability: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
  telemetry: z
    .object({
      /** Server-wide default level (GHOSTLINE_TELEMETRY); clients and tenants can only lower it. */
      level: z.enum(["off", "metrics", "code"]).default("metrics"),
      retentionDays: z.number().int().min(1).default(90),
      /** Salt for hashing user ids; generated and stored in the data dir when absent. */
      salt: z.string().optional(),
      /** Also redact IP addresses (loopback kept) when scrubbing stored text. */
      scrubIps: z.boolean().default(true),
    })
    .prefault({}),
  feedback: z
    .object({
      store: z.enum(["sqlite", "postgres"]).default("sqlite"),
      postgresUrl: z.string().optional(),
    })
    .prefault({}),
  client: z
    .object({
      debounceMs: z.number().int().min(0).max(2000).default(0),
      shownThresholdMs: z.number().int().min(0).default(300),
    })
    .prefault({}),
  experiments: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        enabled: z.boolean().default(true),
        arms: z.array(ExperimentArm).min(2),
      }),
    )
    .default([]),
});

/** The parsed, frozen configuration. */
export type Config = z.infer<typeof ConfigSchema>;
