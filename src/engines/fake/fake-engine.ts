/**
 * A deterministic, model-free Engine for tests: streams a scripted text in small deltas with a
 * delay, applies the stop rules (maxTokens = number of deltas, stop strings, line/block mode,
 * deadline) and ends with "cancelled" within one step of an abort. Records every request.
 */
import type { Engine, EngineEvent, EngineRequest, StopReason, Usage } from "../../core/types.js";
import type { GhostlineError } from "../../core/errors.js";
import { linkedAbort, sleep } from "../../core/abort.js";

/** Options of createFakeEngine. */
export interface FakeEngineOptions {
  /** Full text the "model" would generate; default echoes the prefix tail and the suffix head. */
  script?: (req: EngineRequest) => string;
  /** Delay before each delta (ms, default 2). */
  tokenDelayMs?: number;
  /** Characters per delta ("token"), default 3. */
  tokenChars?: number;
  /** When set, complete() throws this before emitting anything. */
  failWith?: GhostlineError;
  /** Reported parallel sequences (default 4). */
  sequences?: number;
  /** Reported model name (default "fake-model"). */
  model?: string;
  /**
   * Likely next characters the "model" reports when a request asks for `alternatives` (greedy
   * requests; the completion's own first character and the request's count apply).
   */
  alternatives?: (req: EngineRequest) => string[];
}

/** The fake engine plus test hooks. */
export interface FakeEngine extends Engine {
  /** Every request received, in order. */
  calls: EngineRequest[];
  /** Generations currently running. */
  active(): number;
}

/** The default script: shows which prefix tail and suffix head the engine saw. */
export function defaultFakeScript(req: EngineRequest): string {
  return `/*fake prefix=${JSON.stringify(req.fim.prefix.slice(-12))} suffix=${JSON.stringify(req.fim.suffix.slice(0, 12))}*/`;
}

/** Cuts `text` per the stop rules (stop strings, line and block mode); returns the cut text and why. */
function applyStops(req: EngineRequest, text: string): { text: string; reason?: StopReason } {
  let cut = text.length;
  let reason: StopReason | undefined;
  for (const s of req.stop.stop) {
    const i = s ? text.indexOf(s) : -1;
    if (i >= 0 && i < cut) {
      cut = i;
      reason = "stop_string";
    }
  }
  if (req.stop.mode === "line") {
    const i = text.indexOf("\n");
    if (i >= 0 && i < cut) {
      cut = i;
      reason = "end_of_line";
    }
  } else if (req.stop.mode === "block") {
    const i = text.indexOf("\n\n");
    if (i >= 0 && i < cut) {
      cut = i;
      reason = "end_of_block";
    }
  }
  return { text: text.slice(0, cut), ...(reason ? { reason } : {}) };
}

/** Creates a fake engine (see file comment). */
export function createFakeEngine(opts: FakeEngineOptions = {}): FakeEngine {
  const script = opts.script ?? defaultFakeScript;
  const delay = opts.tokenDelayMs ?? 2;
  const chars = Math.max(1, opts.tokenChars ?? 3);
  const calls: EngineRequest[] = [];
  const closing = new AbortController();
  let active = 0;

  async function* complete(request: EngineRequest, options: { signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
    calls.push(request);
    if (opts.failWith) throw opts.failWith;
    const { controller, dispose } = linkedAbort(options.signal, closing.signal);
    const signal = controller.signal;
    active++;
    const t0 = Date.now();
    let firstTokenMs = 0;
    const promptTokens = Math.ceil((request.fim.prefix.length + request.fim.suffix.length) / 4);
    const usage = (tokens: number): Usage => {
      const totalMs = Date.now() - t0;
      return {
        promptTokens,
        promptTokensReused: 0,
        promptTokensEvaluated: promptTokens,
        completionTokens: tokens,
        timings: { queueMs: 0, prefillMs: 0, firstTokenMs, decodeMs: totalMs, totalMs },
        truncated: false,
      };
    };
    try {
      const { text: full, reason } = applyStops(request, script(request));
      let text = "";
      let tokens = 0;
      for (let i = 0; i < full.length; i += chars) {
        // a probe ends after its first pass (one token here)
        if (tokens >= request.stop.maxTokens || (request.probe && tokens > 0)) {
          yield { type: "done", stopReason: "max_tokens", usage: usage(tokens), text };
          return;
        }
        await sleep(delay, signal);
        if (signal.aborted) {
          yield { type: "done", stopReason: "cancelled", usage: usage(tokens), text };
          return;
        }
        const piece = full.slice(i, i + chars);
        text += piece;
        tokens++;
        if (tokens === 1) firstTokenMs = Date.now() - t0;
        yield { type: "delta", text: piece, tokens: 1 };
        if (request.deadline !== undefined && Date.now() > request.deadline && piece.includes("\n")) {
          yield { type: "done", stopReason: "deadline", usage: usage(tokens), text };
          return;
        }
      }
      const asked = request.alternatives && request.sampling.temperature === 0 ? request.alternatives.count : 0;
      const alternatives = asked > 0 && opts.alternatives ? opts.alternatives(request).filter((c) => !text.startsWith(c)).slice(0, asked) : [];
      yield { type: "done", stopReason: reason ?? "eos", usage: usage(tokens), text, ...(alternatives.length ? { alternatives } : {}) };
    } finally {
      active--;
      dispose();
    }
  }

  return {
    info: { id: "fake", kind: "fake", model: opts.model ?? "fake-model", modelVersion: "fake-1", family: "ghostline", contextSize: 4096, sequences: opts.sequences ?? 4 },
    calls,
    active: () => active,
    complete,
    async health() {
      return { ok: true as const };
    },
    async close() {
      closing.abort();
    },
  };
}
