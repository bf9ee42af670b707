/**
 * The in-process llama.cpp engine (node-llama-cpp): a target context with N sequences, an optional
 * draft context with the same N, a sequence pool with affinity and tenant isolation, prefix KV
 * reuse, and plain or speculative decoding (src/speculation).
 *
 * Why one context with N sequences: evaluations issued concurrently on different sequences are
 * merged by node-llama-cpp into one native decode, so concurrent requests batch for free.
 */
import { setMaxListeners } from "node:events";
import { basename } from "node:path";
import type { LlamaContext, LlamaModel, Token, TokenBias } from "node-llama-cpp";
import { GhostlineError, toGhostlineError } from "../../core/errors.js";
import type { DraftSourceName, Engine, EngineEvent, EngineInfo, EngineRequest } from "../../core/types.js";
import { linkedAbort } from "../../core/abort.js";
import { LruMap } from "../../core/lru-map.js";
import { buildTokenPrompt, chooseSplitRule, createJoinedTokenizer, detectFamily, type SplitRule, type TokenPrompt } from "../../prompt/index.js";
import { CostModel } from "../../speculation/adaptive-k.js";
import { NgramIndex } from "../../speculation/ngram-index.js";
import { runCompletion } from "./completion-run.js";
import { ContextGate, gateSequence } from "./context-gate.js";
import { loadLlama, loadModel, type EngineLogger, type LlamaRuntime } from "./load-llama.js";
import { drainSamplerPool } from "./sampler-pool.js";
import { SequencePool } from "./sequence-pool.js";
import { healingBias, healSplit, VocabularyPieces } from "./token-healing.js";

/** Options of createLlamaCppEngine. Threads are per context; keep threads + draftThreads ≤ cores. */
export interface LlamaCppEngineOptions {
  modelPath: string;
  draftPath?: string;
  threads: number;
  draftThreads: number;
  /** Parallel sequences (KV slots). */
  sequences: number;
  /** Tokens per sequence; default: the model's trained context capped at 4096. */
  contextSize?: number;
  /** Prefill chunk (tokens): the abort signal is checked between chunks. */
  prefillChunk: number;
  gpu: boolean;
  /**
   * Prompt budgets. prefixAlignLines (default 16): when the prefix must lose its start, the cut
   * moves in steps of that many lines, so typing at the end of a long file re-evaluates the
   * prompt once every 16 new lines instead of on every line (an SPM prompt's KV after the cut
   * shifts whenever the cut does).
   * layoutMaxTokens (default 0): the prompt room is laid out for at least this many completion
   * tokens plus the largest draft, whatever a request's own maxTokens and speculation settings,
   * so requests that differ only in those get the same prompt and reuse each other's KV state (a
   * client's 1-token warm-up and its 24-token keystrokes; line and block mode). The server passes
   * requests.defaultMaxTokens. Larger maxTokens still shrink the room. Capped at half the context.
   * anchorLine: line-anchored middle with token healing (TokenBudget.anchorLine; the server passes
   * requests.anchorLine, default on).
   */
  budgets: {
    prefixTokens: number;
    suffixTokens: number;
    extraTokens: number;
    prefixAlignLines?: number;
    layoutMaxTokens?: number;
    anchorLine?: boolean;
  };
  /** healDraft: whether a first pass drafts token healing's dropped token (CompletionRunInput.healDraft; default "auto"). */
  speculative: { enabled: boolean; sources: DraftSourceName[]; maxK: number; k?: number; healDraft?: "auto" | "always" | "off" };
  onProgress?: (loaded: number, label: string) => void;
  logger?: EngineLogger;
  /** Instrumentation: called after each prefill chunk with the prompt tokens evaluated so far in this request. */
  onPrefillChunk?: (evaluated: number) => void;
}

/** Engine counters. */
export interface LlamaCppEngineStats {
  sequencesBusy: number;
  sequencesFree: number;
  queued: number;
  tokensEvaluated: number;
  tokensReused: number;
  requests: number;
  /** Incremental prompt tokenization: the indentation widths cut at (split-tokenizer.ts), or null (whole-text tokenization). */
  promptSplitRule: SplitRule | null;
}

/** The llama.cpp engine plus tokenizer access and stats. */
export interface LlamaCppEngine extends Engine {
  tokenize(text: string): number[];
  /** Detokenizes; `lastTokens` (the tokens before) let the tokenizer decide on a leading space. */
  detokenize(tokens: readonly number[], lastTokens?: readonly number[]): string;
  stats(): LlamaCppEngineStats;
  /** Diagnostics: the tokens in the KV state of sequence `index` (0-based). */
  sequenceTokens(index: number): number[];
}

/** Loads the model(s) and creates the contexts. Throws GhostlineError("model_load_failed"). */
export async function createLlamaCppEngine(opts: LlamaCppEngineOptions): Promise<LlamaCppEngine> {
  for (const [k, v] of [
    ["threads", opts.threads],
    ["draftThreads", opts.draftThreads],
    ["sequences", opts.sequences],
    ["prefillChunk", opts.prefillChunk],
  ] as const)
    if (!Number.isInteger(v) || v < 1)
      throw new GhostlineError("config_invalid", `engine option ${k} must be a positive integer`);
  const runtime = await loadLlama(opts.gpu, opts.logger);
  const progress = (share: number, base: number, label: string) => (p: number) =>
    opts.onProgress?.(base + p * share, label);
  const hasDraft = opts.draftPath !== undefined;
  const model = await loadModel(runtime, opts.modelPath, progress(hasDraft ? 0.7 : 1, 0, "target"));
  let draftModel: LlamaModel | undefined;
  try {
    if (opts.draftPath) draftModel = await loadModel(runtime, opts.draftPath, progress(0.3, 0.7, "draft"));
    const contextSize = Math.min(
      opts.contextSize ?? Math.min(model.trainContextSize, 4096),
      model.trainContextSize,
    );
    // Flash attention defaults to "auto" (on); on CPU it made multi-token verify passes 4-8x slower here.
    const flashAttention = opts.gpu;
    const context = await model.createContext({
      contextSize,
      sequences: opts.sequences,
      threads: opts.threads,
      batchSize: Math.max(opts.prefillChunk, 64),
      flashAttention,
    });
    let draftContext: LlamaContext | undefined;
    if (draftModel) {
      const dsize = Math.min(contextSize, draftModel.trainContextSize);
      draftContext = await draftModel.createContext({
        contextSize: dsize,
        sequences: opts.sequences,
        threads: opts.draftThreads,
        batchSize: Math.max(opts.prefillChunk, 64),
        flashAttention,
      });
    }
    opts.onProgress?.(1, "ready");
    opts.logger?.info("llama-cpp engine ready", {
      model: opts.modelPath,
      draft: opts.draftPath,
      contextSize,
      sequences: opts.sequences,
      threads: opts.threads,
    });
    return new LlamaCppEngineImpl(opts, runtime, model, context, contextSize, draftModel, draftContext);
  } catch (e) {
    for (const m of [draftModel, model]) if (m) drainSamplerPool(m);
    await draftModel?.dispose().catch(() => {});
    await model.dispose().catch(() => {});
    throw e instanceof GhostlineError
      ? e
      : new GhostlineError(
          "model_load_failed",
          `Could not create the context: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
  }
}

class LlamaCppEngineImpl implements LlamaCppEngine {
  readonly info: EngineInfo;
  private readonly family: ReturnType<typeof detectFamily>;
  private readonly pool: SequencePool;
  private readonly sequences;
  private readonly draftSequences;
  /** Per sequence slot: the n-gram index of the slot's last history (a keystroke re-indexes only what changed). */
  private readonly ngramIndexes: NgramIndex[];
  private readonly closing = new AbortController();
  private readonly tokenMemo = new LruMap<string, readonly number[]>(4096);
  /** Token healing: each vocabulary entry's text (built with the engine when anchorLine is on) and the constraint per healed text. */
  private readonly pieces: VocabularyPieces | undefined;
  private readonly healBiases = new LruMap<string, TokenBias | null>(512);
  /** Special-token names → ids (a handful per family; looked up on every request). */
  private readonly tokenIds = new Map<string, number | undefined>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly counters = { evaluated: 0, reused: 0, requests: 0 };
  private closed = false;
  private readonly costs = new CostModel();
  /** Exact tokenization of joined prompt lines from memoised chunks, when the tokenizer allows it (split-tokenizer.ts). */
  private readonly joinedTokenizer: ((lines: readonly string[]) => number[]) | undefined;
  private readonly splitRule: SplitRule | undefined;

  constructor(
    private readonly opts: LlamaCppEngineOptions,
    private readonly runtime: LlamaRuntime,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly contextSize: number,
    private readonly draftModel: LlamaModel | undefined,
    private readonly draftContext: LlamaContext | undefined,
  ) {
    const meta = model.fileInfo.metadata as {
      general?: { name?: string; architecture?: string; version?: string };
    };
    this.family = detectFamily({
      name: meta.general?.name,
      architecture: meta.general?.architecture,
      hasToken: (t) => this.tokenId(t) !== undefined,
    });
    const gate = new ContextGate();
    this.sequences = Array.from({ length: opts.sequences }, () => gateSequence(context.getSequence(), gate));
    const draftGate = new ContextGate();
    this.draftSequences = draftContext
      ? Array.from({ length: opts.sequences }, () => gateSequence(draftContext.getSequence(), draftGate))
      : undefined;
    this.pool = new SequencePool(opts.sequences);
    this.ngramIndexes = Array.from({ length: opts.sequences }, () => new NgramIndex());
    const raw = (t: string): readonly number[] => this.model.tokenize(t, false);
    const rule = chooseSplitRule(raw);
    this.splitRule = rule;
    this.joinedTokenizer = rule ? createJoinedTokenizer((t) => this.tokenize(t), rule) : undefined;
    // every in-flight request links to it: more than Node's default of 10 listeners is normal
    setMaxListeners(0, this.closing.signal);
    // token healing's vocabulary index, here rather than on the first keystroke (10 ms at a
    // 4,096-entry vocabulary, 190 ms at 151,936; bench/heal-bias.ts)
    if (opts.budgets.anchorLine) this.pieces = VocabularyPieces.of(model);
    this.info = {
      id: "llama-cpp",
      kind: "llama-cpp",
      model: basename(opts.modelPath),
      modelVersion:
        meta.general?.version ?? `${meta.general?.name ?? basename(opts.modelPath)}@${model.size}`,
      family: String(this.family),
      contextSize,
      ...(opts.draftPath ? { draftModel: basename(opts.draftPath) } : {}),
      sequences: opts.sequences,
    };
  }

  /**
   * Tokenizes user text (special tokens are NOT parsed: a literal "<fim_prefix>" stays text). Memoised: the prompt builder tokenizes
   * every line of the prefix and suffix to place the budget cuts, then the kept text; from one
   * keystroke to the next only the cursor's line and the kept prefix change, so the memo turns
   * ~40 native calls (~0.9 ms, half a decode step of the shipped model) into about two.
   */
  tokenize(text: string): number[] {
    const hit = this.tokenMemo.get(text);
    if (hit) return hit as number[];
    const tokens = Object.freeze(this.model.tokenize(text, false) as number[]);
    this.tokenMemo.set(text, tokens);
    return tokens as number[];
  }

  detokenize(tokens: readonly number[], lastTokens?: readonly number[]): string {
    return this.model.detokenize(tokens as Token[], false, lastTokens as Token[] | undefined);
  }

  /**
   * Token healing of a line-anchored prompt (healSplit): the last typed tokens are dropped and the
   * first generated token must start with their text. Without a typed part, or when no vocabulary
   * entry fits, the prompt is used as built. One dropped token is also returned as `token`: the
   * first pass drafts it (CompletionRunInput.heal).
   */
  private heal(prompt: TokenPrompt): { prompt: TokenPrompt; heal?: { text: string; bias: TokenBias; token?: number } } {
    const typed = prompt.typed;
    if (!typed || typed.tokenCount === 0) return { prompt };
    const typedTokens = prompt.tokens.slice(prompt.tokens.length - typed.tokenCount);
    const split = healSplit(typedTokens, typed.text, (t) => this.detokenize(t), (text) => this.healBias(text) !== null);
    if (!split) return { prompt };
    const tokens = prompt.tokens.slice(0, prompt.tokens.length - split.count);
    const token = split.count === 1 ? typedTokens[typedTokens.length - 1] : undefined;
    return { prompt: { ...prompt, tokens }, heal: { text: split.text, bias: this.healBias(split.text)!, ...(token !== undefined ? { token } : {}) } };
  }

  /** The healing constraint for `text`, memoised (null: no vocabulary entry starts with it). */
  private healBias(text: string): TokenBias | null {
    const hit = this.healBiases.get(text);
    if (hit !== undefined) return hit;
    if (!this.pieces) return null; // no line anchor, so nothing to heal
    const bias = healingBias(this.model, this.pieces, text);
    this.healBiases.set(text, bias);
    return bias;
  }

  /** The id of a single (special) token spelled `text`, if the vocabulary has one. */
  private tokenId(text: string): number | undefined {
    if (this.tokenIds.has(text)) return this.tokenIds.get(text);
    const t = this.model.tokenize(text, true);
    const id = t.length === 1 && this.model.detokenize(t, true) === text ? t[0] : undefined;
    this.tokenIds.set(text, id);
    return id;
  }

  stats(): LlamaCppEngineStats {
    const p = this.pool.stats();
    return {
      sequencesBusy: p.busy,
      sequencesFree: p.free,
      queued: p.queued,
      tokensEvaluated: this.counters.evaluated,
      tokensReused: this.counters.reused,
      requests: this.counters.requests,
      promptSplitRule: this.splitRule ?? null,
    };
  }

  sequenceTokens(index: number): number[] {
    const seq = this.sequences[index];
    if (!seq) throw new GhostlineError("not_found", `no sequence ${index}`);
    return [...seq.contextTokens] as number[];
  }

  async health(): Promise<{ ok: true; details?: Record<string, unknown> }> {
    if (this.closed || this.model.disposed)
      throw new GhostlineError("upstream_unavailable", "The llama.cpp engine is closed");
    return { ok: true, details: { ...this.stats(), model: this.info.model, contextSize: this.contextSize } };
  }

  complete(request: EngineRequest, options: { signal?: AbortSignal } = {}): AsyncIterable<EngineEvent> {
    return { [Symbol.asyncIterator]: () => this.run(request, options.signal) };
  }

  private async *run(
    request: EngineRequest,
    outerSignal: AbortSignal | undefined,
  ): AsyncGenerator<EngineEvent, void, void> {
    const startedAt = performance.now();
    const { controller, dispose } = linkedAbort(outerSignal, this.closing.signal);
    const signal = controller.signal;
    let release: (() => void) | undefined;
    let invalidate: (() => void) | undefined;
    let settle: () => void = () => {};
    const tracker = new Promise<void>((r) => (settle = r));
    this.inFlight.add(tracker);
    try {
      if (this.closed) throw new GhostlineError("upstream_unavailable", "The llama.cpp engine is closed");
      const maxK = Math.max(
        this.opts.speculative.maxK,
        request.speculative.maxK ?? 0,
        request.speculative.k ?? 0,
      );
      const layout = this.opts.budgets.layoutMaxTokens ?? 0;
      const stableRoom = layout > 0 ? Math.min(layout + maxK + 1, Math.floor(this.contextSize / 2)) : 0;
      const room = Math.max(request.stop.maxTokens + (request.speculative.enabled ? maxK : 0) + 1, stableRoom);
      const maxPromptTokens = this.contextSize - room;
      if (maxPromptTokens < 8)
        throw new GhostlineError(
          "context_overflow",
          `maxTokens ${request.stop.maxTokens} leaves no room for a prompt in a ${this.contextSize}-token context`,
        );
      const bos = this.model.tokens.bos ?? undefined;
      const built = buildTokenPrompt(
        this.family,
        request.fim,
        { prefixAlignLines: 16, ...this.opts.budgets, maxPromptTokens },
        {
          tokenize: (t) => this.tokenize(t),
          ...(this.joinedTokenizer ? { tokenizeJoined: this.joinedTokenizer } : {}),
          tokenId: (t) => this.tokenId(t),
          detokenize: (t) => this.detokenize(t),
          ...(bos !== undefined && this.model.tokens.shouldPrependBosToken ? { bos } : {}),
          ...(this.model.tokens.eos !== null ? { eos: this.model.tokens.eos } : {}),
        },
      );
      const { prompt, heal } = this.heal(built);
      const empty = (stopReason: "cancelled") =>
        ({
          type: "done",
          stopReason,
          text: "",
          usage: {
            promptTokens: prompt.tokens.length,
            promptTokensReused: 0,
            promptTokensEvaluated: 0,
            completionTokens: 0,
            timings: {
              queueMs: performance.now() - startedAt,
              prefillMs: 0,
              firstTokenMs: 0,
              decodeMs: 0,
              totalMs: performance.now() - startedAt,
            },
            truncated: prompt.truncated,
          },
        }) as const;
      if (signal.aborted) {
        yield empty("cancelled");
        return;
      }
      const lease = await this.pool.acquire(
        {
          tenant: request.tenant,
          affinityKey: request.affinityKey,
          ...(request.priority !== undefined ? { priority: request.priority } : {}),
          ...(request.parallel ? { parallel: true } : {}),
          sharedPrefix: (i) =>
            this.sequences[i]!.compareContextTokens(prompt.tokens as Token[]).firstDifferentIndex,
        },
        { signal },
      );
      if (!lease) {
        yield empty("cancelled");
        return;
      }
      const onCancel = (): void => lease.drain();
      signal.addEventListener("abort", onCancel, { once: true });
      release = () => {
        signal.removeEventListener("abort", onCancel);
        lease.release();
      };
      invalidate = () => lease.invalidate();
      this.counters.requests++;
      const target = this.sequences[lease.index]!;
      const draft = this.draftSequences?.[lease.index];
      if (lease.mustClear) {
        await target.clearHistory();
        await draft?.clearHistory();
      }
      const queueMs = performance.now() - startedAt;
      const d = this.opts.speculative;
      const r = request.speculative;
      const k = r.k ?? d.k;
      const spec = {
        enabled: r.enabled,
        sources: r.sources ?? d.sources,
        maxK: r.maxK ?? d.maxK,
        ...(k !== undefined ? { k } : {}),
      };
      yield* runCompletion({
        request: { ...request, speculative: spec },
        prompt,
        target,
        ...(draft && spec.enabled && spec.sources.includes("draft-model") ? { draft } : {}),
        ngramIndex: this.ngramIndexes[lease.index]!,
        contextSize: this.contextSize,
        draftContextSize: this.draftContext?.contextSize ?? 0,
        prefillChunk: this.opts.prefillChunk,
        maxK: Math.max(1, spec.maxK),
        isEog: (t) => this.model.isEogToken(t as Token),
        tokenize: (t) => this.tokenize(t),
        detokenize: (t, last) => this.detokenize(t, last),
        signal,
        queueMs,
        startedAt: performance.now(),
        counters: this.counters,
        costs: this.costs,
        ...(this.opts.onPrefillChunk ? { onPrefillChunk: this.opts.onPrefillChunk } : {}),
        ...(heal ? { heal } : {}),
        ...(this.opts.speculative.healDraft ? { healDraft: this.opts.speculative.healDraft } : {}),
      });
    } catch (e) {
      invalidate?.(); // the sequence's state is unknown after a native failure
      throw toGhostlineError(e, "engine_error");
    } finally {
      release?.();
      dispose();
      settle();
      this.inFlight.delete(tracker);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.pool.close();
    // streams a consumer stopped reading never settle: wait for the others, at most 2 s
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
    await this.draftContext?.dispose();
    await this.context.dispose();
    for (const m of [this.draftModel, this.model]) if (m) drainSamplerPool(m);
    await this.draftModel?.dispose();
    await this.model.dispose();
    await this.runtime.llama.dispose();
  }
}
