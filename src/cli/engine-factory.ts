/**
 * Creates the configured Engine for the CLI: llama-cpp (in-process, the shipped models by
 * default), openai-compat (upstream servers) or fake (tests / demos; env
 * GHOSTLINE_FAKE_TOKEN_DELAY_MS sets its delay per streamed piece, default 2 ms).
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/schema.js";
import type { Engine } from "../core/types.js";
import { GhostlineError } from "../core/errors.js";
import type { LlamaCppEngineOptions } from "../engines/llama-cpp/llama-cpp-engine.js";

/** The package root (two levels above src/cli). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The shipped default target model. */
export const DEFAULT_MODEL = resolve(PACKAGE_ROOT, "models", "ghostline-target.gguf");
/** The shipped default draft model (used when the target is the shipped one). */
export const DEFAULT_DRAFT = resolve(PACKAGE_ROOT, "models", "ghostline-draft.gguf");

/** The llama.cpp engine's prompt budgets from the config (the server's and the benchmarks'). */
export function llamaPromptBudgets(config: Config): LlamaCppEngineOptions["budgets"] {
  const r = config.requests;
  return { prefixTokens: r.prefixTokens, suffixTokens: r.suffixTokens, extraTokens: r.extraTokens, prefixAlignLines: r.prefixAlignLines, layoutMaxTokens: r.defaultMaxTokens, anchorLine: r.anchorLine };
}

/** Options of createEngine. */
export interface CreateEngineOptions {
  onProgress?: (fraction: number, label: string) => void;
  log?: (level: "info" | "warn" | "error", msg: string) => void;
}

/** Model paths after defaults: the shipped draft is used only with the shipped target. */
export function resolveModelPaths(config: Config): { model: string; draft?: string } {
  const model = config.engine.model ? resolve(config.engine.model) : DEFAULT_MODEL;
  const draft = config.engine.draft ? resolve(config.engine.draft) : model === DEFAULT_MODEL && existsSync(DEFAULT_DRAFT) ? DEFAULT_DRAFT : undefined;
  return { model, ...(draft ? { draft } : {}) };
}

/** Builds the engine named by config.engine.kind. Throws GhostlineError (model_load_failed, config_invalid). */
export async function createEngine(config: Config, opts: CreateEngineOptions = {}): Promise<Engine> {
  const e = config.engine;
  if (e.kind === "fake") {
    const { createFakeEngine } = await import("../engines/fake/fake-engine.js");
    opts.onProgress?.(1, "fake");
    // GHOSTLINE_FAKE_TOKEN_DELAY_MS slows the fake engine down (tests that cancel mid-stream).
    const delay = Number(process.env.GHOSTLINE_FAKE_TOKEN_DELAY_MS ?? "");
    return createFakeEngine(process.env.GHOSTLINE_FAKE_TOKEN_DELAY_MS && Number.isFinite(delay) && delay >= 0 ? { tokenDelayMs: delay } : {});
  }
  if (e.kind === "openai-compat") {
    if (e.upstreams.length === 0) throw new GhostlineError("config_invalid", "engine.kind openai-compat needs at least one upstream (--upstream URL)");
    const { createOpenAICompatEngine } = await import("../engines/openai-compat/index.js");
    const engine = createOpenAICompatEngine({
      baseUrls: [...e.upstreams],
      ...(e.upstreamModel ? { model: e.upstreamModel } : {}),
      ...(e.upstreamApiKey ? { apiKey: e.upstreamApiKey } : {}),
      family: e.upstreamFamily as never,
      timeoutMs: e.upstreamTimeoutMs,
      budgets: { prefixTokens: config.requests.prefixTokens, suffixTokens: config.requests.suffixTokens, extraTokens: config.requests.extraTokens },
    });
    opts.onProgress?.(1, "upstream");
    return engine;
  }
  const { model, draft } = resolveModelPaths(config);
  if (!existsSync(model)) throw new GhostlineError("model_load_failed", `Model file not found: ${model}`, { details: { path: model } });
  const { createLlamaCppEngine } = await import("../engines/llama-cpp/llama-cpp-engine.js");
  const log = opts.log;
  return createLlamaCppEngine({
    modelPath: model,
    ...(draft ? { draftPath: draft } : {}),
    threads: e.threads,
    draftThreads: e.draftThreads,
    sequences: e.sequences,
    ...(e.contextSize ? { contextSize: e.contextSize } : {}),
    prefillChunk: e.prefillChunk,
    gpu: e.gpu,
    budgets: llamaPromptBudgets(config),
    speculative: { enabled: config.speculative.enabled, sources: [...config.speculative.sources], maxK: config.speculative.maxK, ...(config.speculative.k ? { k: config.speculative.k } : {}), healDraft: config.speculative.healDraft },
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(log ? { logger: { info: (m: string) => log("info", m), warn: (m: string) => log("warn", m), error: (m: string) => log("error", m) } } : {}),
  });
}
