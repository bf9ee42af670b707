/**
 * One completion on a leased target sequence (and optionally its draft sequence): prefix-reusing
 * chunked prefill, the decode loop (plain or speculative), stop rules, deadline and cancellation,
 * and exact usage accounting. Emits EngineEvents through `emit`.
 */
import type { LlamaContextSequence, Token, TokenBias } from "node-llama-cpp";
import type { EngineEvent, EngineRequest, SpeculativeStats, StopReason, Usage } from "../../core/types.js";
import { createStopMatcher } from "../../postprocess/index.js";
import type { CostModel } from "../../speculation/adaptive-k.js";
import { createClientSource } from "../../speculation/client-source.js";
import { createDraftModelSource } from "../../speculation/draft-model-source.js";
import type { DraftSource } from "../../speculation/draft-source.js";
import type { NgramIndex } from "../../speculation/ngram-index.js";
import { createNgramSource } from "../../speculation/ngram-source.js";
import { createRng } from "../../speculation/sampling.js";
import { emptySpeculativeStats, speculativeDecode } from "../../speculation/speculative-decoder.js";
import { createTargetEvaluator } from "../../speculation/target-evaluator.js";
import { beginUrgent } from "./context-gate.js";
import { createIncrementalDetokenizer } from "./incremental-detokenizer.js";
import { createHealStrip } from "./token-healing.js";

/** Everything one run needs (resolved by the engine). */
export interface CompletionRunInput {
  request: EngineRequest;
  prompt: { tokens: number[]; truncated: boolean; stopTokenIds: number[]; stopStrings: string[] };
  target: LlamaContextSequence;
  draft?: LlamaContextSequence;
  contextSize: number;
  draftContextSize: number;
  /** The sequence slot's n-gram index (kept across its requests; this run has it to itself). */
  ngramIndex?: NgramIndex;
  prefillChunk: number;
  maxK: number;
  isEog: (token: number) => boolean;
  tokenize: (text: string) => number[];
  detokenize: (tokens: number[], lastTokens?: number[]) => string;
  signal?: AbortSignal;
  queueMs: number;
  startedAt: number;
  /** Counters the engine aggregates. */
  counters: { evaluated: number; reused: number };
  onPrefillChunk?: (evaluated: number) => void;
  /** Engine-wide pass-cost model of the adaptive controller. */
  costs?: CostModel;
  /**
   * Token healing (line-anchored prompts): the prompt lacks the typed text's last token, whose
   * text is `text`; the first generated token is constrained by `bias` to start with it, and
   * `text` is cut from the output (which starts at the cursor). `token`: the dropped token when it
   * was one (its text is `text`); with speculation on, the first pass drafts it, so that when the
   * model re-creates exactly that token (no new text) the next one comes from the same pass.
   */
  heal?: { text: string; bias: TokenBias; token?: number };
  /**
   * Whether the first pass drafts `heal.token` (speculation on): "auto" (default) when the engine's
   * measured costs say it pays (CostModel.shouldDraftHeal), "always", or "off".
   */
  healDraft?: "auto" | "always" | "off";
}

/** Whether this run's first pass drafts the healed token (CompletionRunInput.healDraft). */
function draftsHeal(input: CompletionRunInput): boolean {
  const mode = input.healDraft ?? "auto";
  return mode === "always" || (mode === "auto" && (input.costs?.shouldDraftHeal() ?? true));
}

/**
 * Runs the completion, yielding delta events and a final done event. Never throws for
 * cancellation. Until its first token the run is urgent: continuing generations on the same
 * context hold their passes back (ContextGate), so the first pass is not batched with theirs
 * (probes excepted).
 */
export async function* runCompletion(input: CompletionRunInput): AsyncGenerator<EngineEvent, void, void> {
  // A lookahead probe is background work: it never holds other documents' passes back.
  const endUrgent = input.request.probe ? () => {} : beginUrgent(input.target);
  try {
    yield* run(input, endUrgent);
  } finally {
    endUrgent();
  }
}

async function* run(input: CompletionRunInput, endUrgent: () => void): AsyncGenerator<EngineEvent, void, void> {
  const { request, prompt, target, signal, startedAt } = input;
  const tokens = prompt.tokens;
  const usage: Usage = {
    promptTokens: tokens.length,
    promptTokensReused: 0,
    promptTokensEvaluated: 0,
    completionTokens: 0,
    timings: { queueMs: input.queueMs, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0 },
    truncated: prompt.truncated,
  };
  let text = "";
  const wantAlternatives = request.alternatives?.count ?? 0;
  const minAlternativeP = request.alternatives?.minProbability ?? 0;
  let top: { token: number; p: number }[] | undefined;
  /**
   * The first character each top token would put at the cursor, with the summed probability of
   * those tokens, most likely first, without the completion's own first character (typing through
   * it reuses the completion).
   */
  const alternativesOf = (ranked: { token: number; p: number }[]): string[] => {
    const healed = input.heal?.text ?? "";
    const byChar = new Map<string, number>();
    for (const { token, p } of ranked) {
      if (input.isEog(token)) continue;
      const piece = input.detokenize([token], []);
      if (!piece.startsWith(healed) || piece.length === healed.length) continue;
      const ch = String.fromCodePoint(piece.codePointAt(healed.length)!);
      if (ch !== "\uFFFD") byChar.set(ch, (byChar.get(ch) ?? 0) + p);
    }
    return [...byChar]
      .filter(([ch, p]) => p >= minAlternativeP && !text.startsWith(ch))
      .sort((a, b) => b[1] - a[1])
      .slice(0, wantAlternatives)
      .map(([ch]) => ch);
  };
  const finish = (stopReason: StopReason, spec?: SpeculativeStats): EngineEvent => {
    usage.timings.totalMs = performance.now() - startedAt + input.queueMs;
    if (spec && spec.targetPasses > 0) usage.speculative = spec;
    const alternatives = top ? alternativesOf(top) : undefined;
    return { type: "done", stopReason, usage, text, ...(alternatives?.length ? { alternatives } : {}) };
  };

  // --- prefix reuse + chunked prefill (all prompt tokens but the last; the last is the first decode input)
  const t0 = performance.now();
  let reuse = Math.min(target.compareContextTokens(tokens as Token[]).firstDifferentIndex, tokens.length - 1);
  reuse = Math.max(0, reuse);
  if (reuse < target.nextTokenIndex)
    await target.eraseContextTokenRanges([{ start: reuse, end: target.nextTokenIndex }]);
  usage.promptTokensReused = reuse;
  input.counters.reused += reuse;
  // Chunks of prefillChunk tokens, checking the abort signal between them; the last (short) chunk
  // rides along with the first decode pass (`lead`), so a keystroke's few new tokens cost one call.
  let prefilled = reuse;
  for (let i = reuse; tokens.length - 1 - i > input.prefillChunk; i += input.prefillChunk) {
    if (signal?.aborted) {
      usage.timings.prefillMs = performance.now() - t0;
      yield finish("cancelled");
      return;
    }
    const chunk = tokens.slice(i, i + input.prefillChunk);
    await target.controlledEvaluate(chunk as Token[]);
    prefilled = i + chunk.length;
    usage.promptTokensEvaluated += chunk.length;
    input.counters.evaluated += chunk.length;
    input.onPrefillChunk?.(usage.promptTokensEvaluated);
  }
  usage.timings.prefillMs = performance.now() - t0;
  if (signal?.aborted) {
    yield finish("cancelled");
    return;
  }

  // --- decode
  const rng = createRng(request.sampling.seed ?? Date.now());
  const spec = request.speculative;
  const sources: DraftSource[] = [];
  if (spec.enabled) {
    const names = spec.sources ?? ["client", "ngram", "draft-model"];
    for (const name of names) {
      if (name === "client" && request.clientDraft)
        sources.push(
          createClientSource((input.heal?.text ?? "") + request.clientDraft, tokens.length, {
            tokenize: input.tokenize,
            detokenize: (t) => input.detokenize([...t]),
          }),
        );
      if (name === "ngram") sources.push(createNgramSource(input.ngramIndex ? { index: input.ngramIndex } : {}));
      if (name === "draft-model" && input.draft)
        sources.push(
          createDraftModelSource({
            sequence: input.draft,
            sampling: request.sampling,
            rng,
            chunk: input.prefillChunk,
            contextSize: input.draftContextSize,
            greedyProposals: request.sampling.seed !== undefined,
          }),
        );
    }
  }
  const maxK = Math.max(1, Math.min(spec.maxK ?? input.maxK, input.maxK));
  const stats = emptySpeculativeStats();
  const stopIds = new Set(prompt.stopTokenIds);
  const matcher = createStopMatcher(
    { ...request.stop, stop: [...request.stop.stop, ...prompt.stopStrings] },
    { prefix: request.fim.prefix, suffix: request.fim.suffix },
  );
  const detok = createIncrementalDetokenizer(input.detokenize);
  const strip = input.heal ? createHealStrip(input.heal.text) : (piece: string) => piece;
  const decodeStart = performance.now();
  let consumed = 0;
  let stopReason: StopReason | undefined;
  let pendingDelta = "";
  let pendingTokens = 0;
  let afterDeadline = false;

  // The first position's top tokens, kept as they come: turned into characters when the run ends,
  // not on the way to the first token.
  const onTop = (ranked: { token: number; p: number }[]): void => {
    top = ranked;
  };
  const decoder = speculativeDecode(
    {
      target: createTargetEvaluator(
        target,
        request.sampling,
        input.heal?.bias,
        wantAlternatives > 0 ? { count: Math.max(8, 2 * wantAlternatives + 2), onTop } : undefined,
      ),
      prompt: tokens,
      lead: tokens.slice(prefilled, tokens.length - 1),
      ...(spec.enabled && input.heal?.token !== undefined && draftsHeal(input) ? { firstDraft: [input.heal.token] } : {}),
      sampling: request.sampling,
      rng,
      sources,
      maxK,
      ...(spec.k !== undefined ? { k: Math.min(spec.k, input.maxK) } : {}),
      contextSize: input.contextSize,
      ...(signal ? { signal } : {}),
      ...(input.costs ? { costs: input.costs } : {}),
      seeded: request.sampling.seed !== undefined,
    },
    stats,
  );

  /** Feeds one generated token through detokenizer + stop rules; returns a stop reason when done. */
  const feed = (token: number): StopReason | undefined => {
    consumed++;
    usage.completionTokens++;
    if (input.isEog(token) || stopIds.has(token)) return "eos";
    const piece = strip(detok.push(token));
    pendingTokens++;
    if (piece) {
      const r = matcher.push(piece);
      pendingDelta += r.emit;
      if (r.stop) return r.stop;
    }
    if (!afterDeadline && request.deadline !== undefined && Date.now() > request.deadline)
      afterDeadline = true;
    if (afterDeadline) {
      const nl = (text + pendingDelta).indexOf("\n", text.length);
      if (nl >= 0) {
        pendingDelta = pendingDelta.slice(0, nl - text.length);
        return "deadline";
      }
    }
    if (usage.completionTokens >= request.stop.maxTokens) return "max_tokens";
    return undefined;
  };

  try {
    for (;;) {
      const step = await decoder.next();
      endUrgent();
      if (step.done) {
        stopReason = step.value;
        break;
      }
      if (usage.timings.firstTokenMs === 0)
        usage.timings.firstTokenMs = performance.now() - startedAt + input.queueMs;
      for (const token of step.value) {
        stopReason = feed(token);
        if (stopReason) break;
      }
      if (pendingDelta) {
        text += pendingDelta;
        yield { type: "delta", text: pendingDelta, tokens: pendingTokens };
        pendingDelta = "";
        pendingTokens = 0;
      }
      if (stopReason) break;
      // a probe is the first pass's text: what the full request streams first
      if (request.probe) {
        stopReason = "max_tokens";
        break;
      }
      if (signal?.aborted) {
        stopReason = "cancelled";
        break;
      }
      // Let the event loop turn between passes. node-llama-cpp's batch dispatcher keeps the
      // context lock while decodes are queued; without a macrotask boundary, sequences that are
      // generating re-queue their next pass from microtasks and the dispatcher never lets go, so
      // another document's KV trim (eraseContextTokenRanges takes the same lock) waited until every
      // other generation had finished: 80–120 ms with 8 typists. One setImmediate per pass costs
      // microseconds, and the passes of all sequences still meet in the next batch.
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    await decoder.return("cancelled");
  }
  if (usage.promptTokensEvaluated < tokens.length - reuse && consumed > 0) {
    // the lead tokens and the last prompt token were evaluated by the first decode step
    const firstPass = tokens.length - prefilled;
    usage.promptTokensEvaluated += firstPass;
    input.counters.evaluated += firstPass;
  }
  const reason: StopReason = stopReason ?? "cancelled";
  if (
    reason !== "cancelled" &&
    reason !== "stop_string" &&
    reason !== "end_of_line" &&
    reason !== "end_of_block" &&
    reason !== "deadline" &&
    // a probe stops where the same request without a token limit would be: held-back text stays held
    !(request.probe && reason === "max_tokens")
  ) {
    const tail = matcher.push(strip(detok.flush())).emit + matcher.flush();
    if (tail) {
      text += tail;
      yield { type: "delta", text: tail, tokens: pendingTokens };
    }
  }
  // KV state = prompt + committed tokens except the last: exactly what plain decoding leaves.
  const keep = tokens.length + Math.max(0, consumed - 1);
  if (target.nextTokenIndex > keep)
    await target.eraseContextTokenRanges([{ start: keep, end: target.nextTokenIndex }]);
  usage.timings.decodeMs = performance.now() - decodeStart;
  yield finish(reason, spec.enabled ? stats : undefined);
}
