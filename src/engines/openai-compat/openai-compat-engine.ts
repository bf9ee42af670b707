import { linkedAbort, onAbort } from "../../core/abort.js";
import { GhostlineError } from "../../core/errors.js";
import type { Engine, EngineEvent, EngineInfo, EngineRequest, StopReason, Usage } from "../../core/types.js";
import { createStopMatcher } from "../../postprocess/index.js";
import { familyFromModelName, renderTextPrompt, type CharBudget, type FimFamily } from "../../prompt/index.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { sseData } from "./sse-lines.js";
import { collectFacts, speculativeFromFacts, type CompletionChunk, type StreamFacts } from "./stream-chunk.js";
import { CLOSED, DEADLINE, TIMEOUT, hashString, normaliseBase, probeUpstream, upstreamError, watchdog, type Upstream } from "./upstream.js";

/** Options of the OpenAI-compatible engine. */
export interface OpenAICompatOptions {
  /** Upstream base URLs ending in /v1 (vLLM, SGLang, llama-server, another Ghostline). At least one. */
  baseUrls: string[];
  /**
   * Model id sent upstream; when absent, request.model is sent (e.g. to another Ghostline), else
   * nothing (the server's default model). With family "auto" and no model, the family comes
   * from the first upstream's `GET /models` (looked up once).
   */
  model?: string;
  apiKey?: string;
  /** FIM template to render; "auto" = from the model name (generic when unknown). */
  family: FimFamily | "auto";
  /** Connect / first-byte / between-chunks timeout in ms. */
  timeoutMs: number;
  /** Prompt budgets in characters; token budgets are converted at 3 chars/token. Defaults: 3,072 / 768 / 1,536 tokens' worth. */
  budgets?: Partial<CharBudget> & { prefixTokens?: number; suffixTokens?: number; extraTokens?: number };
  /** Breaker: open after `failureThreshold` consecutive failures (default 3), half-open after `coolDownMs` (default 5,000). */
  breaker?: { failureThreshold?: number; coolDownMs?: number };
  /** Grace after a request's deadline before the upstream is cut (ms, default 300). */
  deadlineGraceMs?: number;
  /** Reported context size (informational; default 0 = unknown). */
  contextSize?: number;
  /** Reported parallel sequences (informational; default 8 per upstream). */
  sequences?: number;
  fetchImpl?: typeof fetch;
  now?: () => number;
}

const CHARS_PER_TOKEN = 3;

/**
 * Creates an engine that streams completions from OpenAI-compatible `POST {base}/completions`
 * servers. It renders the FIM template itself (these servers ignore `suffix`) and applies
 * Ghostline's stop rules locally, closing the upstream stream as soon as a rule stops.
 *
 * Upstream choice: a stable order per tenant + affinity key (the same document keeps hitting the
 * same server's prefix cache), skipping upstreams whose breaker is open. A request moves to the
 * next upstream only on a connection error before any response; timeouts → upstream_timeout,
 * HTTP errors → upstream_error, nothing reachable → upstream_unavailable. Cancellation aborts the
 * fetch (the upstream sees the connection close) and ends with stopReason "cancelled".
 */
export function createOpenAICompatEngine(opts: OpenAICompatOptions): Engine {
  if (opts.baseUrls.length === 0) throw new GhostlineError("config_invalid", "openai-compat engine needs at least one upstream URL");
  if (!(opts.timeoutMs > 0)) throw new GhostlineError("config_invalid", "timeoutMs must be > 0");
  const fetchImpl = opts.fetchImpl ?? fetch;
  const now = opts.now ?? Date.now;
  const upstreams: Upstream[] = opts.baseUrls.map((u) => ({
    base: normaliseBase(u),
    breaker: new CircuitBreaker({ ...opts.breaker, now }),
  }));
  const b = opts.budgets ?? {};
  const budgets: CharBudget = {
    prefixChars: b.prefixChars ?? (b.prefixTokens ?? 1_024) * CHARS_PER_TOKEN,
    suffixChars: b.suffixChars ?? (b.suffixTokens ?? 256) * CHARS_PER_TOKEN,
    extraChars: b.extraChars ?? (b.extraTokens ?? 512) * CHARS_PER_TOKEN,
  };
  const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const closing = new AbortController();
  const familyFor = (model: string | undefined): FimFamily => (opts.family === "auto" ? familyFromModelName(model) : opts.family);

  const info: EngineInfo = {
    id: `openai-compat:${upstreams.map((u) => new URL(u.base).host).join(",")}`,
    kind: "openai-compat",
    model: opts.model ?? "upstream-default",
    modelVersion: opts.model ?? "upstream-default",
    family: familyFor(opts.model),
    contextSize: opts.contextSize ?? 0,
    sequences: opts.sequences ?? 8 * upstreams.length,
  };

  let discovered: Promise<string | undefined> | undefined;
  /** The served model id from the first upstream that lists one (cached once found; undefined when none answers). */
  function discoverModel(): Promise<string | undefined> {
    discovered ??= (async () => {
      for (const u of upstreams) {
        const ctl = new AbortController();
        const t = setTimeout(() => ctl.abort(TIMEOUT), opts.timeoutMs);
        try {
          const res = await fetchImpl(`${u.base}/models`, { headers, signal: ctl.signal });
          if (!res.ok) continue;
          const body = (await res.json()) as { data?: { id?: unknown }[] };
          const id = body.data?.[0]?.id;
          if (typeof id === "string") return id;
        } catch {
          // next upstream
        } finally {
          clearTimeout(t);
        }
      }
      discovered = undefined; // nobody answered: look again next time
      return undefined;
    })();
    return discovered;
  }

  function order(request: EngineRequest): Upstream[] {
    const start = hashString(`${request.tenant}\u0000${request.affinityKey}`) % upstreams.length;
    return [...upstreams.slice(start), ...upstreams.slice(0, start)];
  }

  async function* complete(request: EngineRequest, options: { signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
    const started = now();
    const model = opts.model ?? request.model;
    const family = opts.family === "auto" && !model ? familyFromModelName(await discoverModel()) : familyFor(model);
    const rendered = renderTextPrompt(family, request.fim, budgets);
    const usage = (u: Partial<Usage> = {}): Usage => ({
      promptTokens: 0, promptTokensReused: 0, promptTokensEvaluated: 0, completionTokens: 0,
      timings: { queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: now() - started },
      truncated: rendered.truncated, ...u,
    });
    if (options.signal?.aborted || closing.signal.aborted) {
      yield { type: "done", stopReason: "cancelled", usage: usage(), text: "" };
      return;
    }
    const body = JSON.stringify({
      ...(model ? { model } : {}),
      prompt: rendered.prompt,
      max_tokens: request.stop.maxTokens,
      temperature: request.sampling.temperature,
      top_p: request.sampling.topP,
      ...(request.sampling.topK > 0 ? { top_k: request.sampling.topK } : {}),
      ...(request.sampling.seed !== undefined ? { seed: request.sampling.seed } : {}),
      stop: [...new Set([...rendered.stop, ...request.stop.stop])].filter((s) => s.length > 0),
      stream: true,
      stream_options: { include_usage: true },
    });

    let lastError: GhostlineError | undefined;
    for (const up of order(request)) {
      if (!up.breaker.tryAcquire()) continue;
      const { controller, dispose } = linkedAbort(options.signal, closing.signal);
      const dog = watchdog(controller, TIMEOUT);
      const cancelled = (): boolean => controller.signal.aborted && controller.signal.reason !== TIMEOUT && controller.signal.reason !== DEADLINE;
      let res: Response;
      try {
        dog.arm(opts.timeoutMs);
        res = await fetchImpl(`${up.base}/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
          body,
          signal: controller.signal,
        });
      } catch (e) {
        dog.disarm();
        dispose();
        if (cancelled()) {
          up.breaker.onNeutral();
          yield { type: "done", stopReason: "cancelled", usage: usage(), text: "" };
          return;
        }
        const err = upstreamError(e, up.base, controller.signal.reason);
        up.breaker.onFailure();
        if (err.code !== "upstream_unavailable") throw err;
        lastError = err;
        continue;
      }
      if (!res.ok || !res.body) {
        dog.disarm();
        dispose();
        const detail = await res.text().catch(() => "");
        if (res.status >= 500 || res.status === 429) up.breaker.onFailure();
        else up.breaker.onSuccess();
        throw new GhostlineError("upstream_error", `Upstream ${up.base} answered ${res.status}: ${detail.slice(0, 300)}`, {
          details: { upstream: up.base, status: res.status },
        });
      }
      try {
        yield* stream(res.body, request, controller, dog, cancelled, up, started, usage);
      } finally {
        dog.disarm();
        dispose();
        controller.abort(CLOSED); // no-op when finished; closes the upstream if the consumer stopped early
      }
      return;
    }
    throw lastError ?? new GhostlineError("upstream_unavailable", "Every upstream is unavailable (circuit open)");
  }

  async function* stream(
    body: ReadableStream<Uint8Array>,
    request: EngineRequest,
    controller: AbortController,
    dog: ReturnType<typeof watchdog>,
    cancelled: () => boolean,
    up: Upstream,
    started: number,
    usage: (u?: Partial<Usage>) => Usage,
  ): AsyncGenerator<EngineEvent> {
    const matcher = createStopMatcher(request.stop, { prefix: request.fim.prefix, suffix: request.fim.suffix });
    const facts: StreamFacts = {};
    let text = "";
    let tokens = 0;
    let firstTokenAt: number | undefined;
    let stopReason: StopReason | undefined;
    let deadlinePassed = false;
    const timers: NodeJS.Timeout[] = [];
    if (request.deadline !== undefined) {
      const left = Math.max(0, request.deadline - now());
      timers.push(setTimeout(() => (deadlinePassed = true), left));
      timers.push(setTimeout(() => controller.abort(DEADLINE), left + (opts.deadlineGraceMs ?? 300)));
    }
    const removeAbortWatch = onAbort(controller.signal, () => dog.disarm());
    const finish = (reason: StopReason): EngineEvent => {
      const end = now();
      const completionTokens = facts.completionTokens ?? tokens;
      const promptTokens = facts.promptTokens ?? 0;
      const reused = Math.min(facts.cachedTokens ?? 0, promptTokens);
      const first = (firstTokenAt ?? end) - started;
      const speculative = speculativeFromFacts(facts, completionTokens);
      return {
        type: "done",
        stopReason: reason,
        text,
        usage: usage({
          promptTokens, promptTokensReused: reused, promptTokensEvaluated: promptTokens - reused, completionTokens,
          timings: { queueMs: 0, prefillMs: first, firstTokenMs: first, decodeMs: end - (firstTokenAt ?? end), totalMs: end - started },
          ...(speculative ? { speculative } : {}),
        }),
      };
    };
    try {
      for await (const data of sseData(body)) {
        if (controller.signal.aborted) throw new Error("aborted"); // chunks buffered before the abort are dropped
        dog.arm(opts.timeoutMs);
        if (data.trim() === "[DONE]") break;
        let chunk: CompletionChunk;
        try {
          chunk = JSON.parse(data) as CompletionChunk;
        } catch (e) {
          throw new GhostlineError("upstream_error", `Upstream ${up.base} sent invalid JSON`, { cause: e });
        }
        if (chunk.error) {
          const msg = typeof chunk.error === "string" ? chunk.error : (chunk.error.message ?? "error");
          throw new GhostlineError("upstream_error", `Upstream ${up.base}: ${msg}`, { details: { upstream: up.base } });
        }
        collectFacts(facts, chunk);
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const piece = choice.text ?? "";
        tokens += choice.token_ids?.length ?? (piece.length > 0 ? 1 : 0);
        if (piece.length > 0) {
          firstTokenAt ??= now();
          let { emit, stop } = matcher.push(piece);
          if (deadlinePassed && !stop) {
            const nl = emit.indexOf("\n");
            if (nl >= 0 || text.endsWith("\n")) {
              emit = nl >= 0 ? emit.slice(0, nl) : "";
              stop = "deadline";
            }
          }
          if (emit.length > 0) {
            text += emit;
            yield { type: "delta", text: emit, tokens: choice.token_ids?.length ?? 1 };
          }
          if (stop) {
            stopReason = stop;
            break;
          }
        }
        if (choice.finish_reason) {
          stopReason = choice.finish_reason === "length" ? "max_tokens" : typeof choice.stop_reason === "string" ? "stop_string" : "eos";
        }
      }
      if (stopReason === undefined || stopReason === "eos" || stopReason === "max_tokens" || stopReason === "stop_string") {
        const rest = matcher.flush();
        if (rest.length > 0) {
          text += rest;
          yield { type: "delta", text: rest, tokens: 0 };
        }
      }
      up.breaker.onSuccess();
      yield finish(stopReason ?? "eos");
    } catch (e) {
      const reason: unknown = controller.signal.reason;
      if (reason === DEADLINE) {
        up.breaker.onSuccess();
        yield finish("deadline");
        return;
      }
      if (cancelled()) {
        up.breaker.onNeutral();
        yield finish("cancelled");
        return;
      }
      const err = upstreamError(e, up.base, reason);
      if (err.code !== "upstream_error" || reason === TIMEOUT) up.breaker.onFailure();
      if (text.length === 0) throw err;
      yield finish("error"); // text already shown is kept: a partial completion, not a failure
    } finally {
      removeAbortWatch();
      timers.forEach(clearTimeout);
    }
  }

  return {
    info,
    complete,
    async health() {
      const results = await Promise.all(
        upstreams.map(async (u) => {
          const ok = await probeUpstream(u.base, fetchImpl, opts.timeoutMs, headers);
          if (ok) u.breaker.onSuccess();
          return { url: u.base, ok, breaker: u.breaker.state };
        }),
      );
      if (!results.some((r) => r.ok)) {
        throw new GhostlineError("upstream_unavailable", "No upstream answered its health check", { details: { upstreams: results } });
      }
      return { ok: true, details: { upstreams: results } };
    },
    async close() {
      closing.abort(CLOSED);
    },
  };
}
