/**
 * Edge helpers shared by the protocol routes: building a CompletionRequest, turning a client
 * disconnect into an AbortSignal, running a completion with metrics, merging n streams, SSE output.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ExtraContext, SpeculativeOptions, StopRules, Usage } from "../core/types.js";
import type { WireUsage } from "@ghostline/protocol";
import type { CompletionDone, CompletionEvent, CompletionRequest, RequestSource } from "../requests/types.js";
import type { AppServices } from "./services.js";
import type { AuthContext } from "./auth.js";
import type { ServerMetrics } from "./metrics.js";
import { usageToWire } from "../requests/wire-params.js";

/** What route modules receive from buildApp. */
export interface EdgeContext {
  services: AppServices;
  metrics: ServerMetrics;
  authenticate: (req: FastifyRequest) => AuthContext;
}

/** Stop lists of compat clients (Continue sends long ones) may hold up to this many strings. */
export const COMPAT_STOP_ITEMS = 32;

/** Protocol-neutral fields of a completion; unset ones take config defaults. */
export interface CompletionFields {
  prefix: string;
  suffix: string;
  language?: string;
  filepath?: string;
  extra?: ExtraContext[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string | string[];
  mode?: StopRules["mode"];
  speculative?: boolean | { enabled?: boolean; sources?: SpeculativeOptions["sources"]; k?: number; max_k?: number };
  clientDraft?: string;
  deadlineMs?: number;
  model?: string;
  user?: string;
  documentKey?: string;
  parallel?: boolean;
}

/** Builds the manager's request from protocol-neutral fields. */
export function buildCompletionRequest(ctx: EdgeContext, auth: AuthContext, source: RequestSource, f: CompletionFields): CompletionRequest {
  const { config, engine } = ctx.services;
  let speculative: Partial<SpeculativeOptions> | undefined;
  if (typeof f.speculative === "boolean") speculative = { enabled: f.speculative };
  else if (f.speculative) {
    const s = f.speculative;
    speculative = {
      ...(s.enabled !== undefined ? { enabled: s.enabled } : { enabled: true }),
      ...(s.sources ? { sources: s.sources } : {}),
      ...(s.k !== undefined ? { k: s.k } : {}),
      ...(s.max_k !== undefined ? { maxK: s.max_k } : {}),
    };
  }
  const stop = f.stop === undefined ? [] : (Array.isArray(f.stop) ? f.stop : [f.stop]).filter((s) => s.length > 0);
  const user = auth.user ?? f.user;
  const client = user !== undefined ? `user:${user}` : auth.address !== undefined ? `addr:${auth.address}` : undefined;
  // Only a model registry resolves names; other engines serve their one model whatever clients call it.
  // A registered model version (registry) is honoured too; any other name is the client's label.
  const model = f.model && (engine.info.kind === "router" || ctx.services.models?.registry.has(f.model)) ? f.model : undefined;
  return {
    tenant: auth.tenant,
    ...(user !== undefined ? { user } : {}),
    ...(client !== undefined ? { client } : {}),
    ...(f.documentKey ? { documentKey: f.documentKey } : {}),
    ...(f.parallel ? { parallel: true } : {}),
    fim: {
      prefix: f.prefix,
      suffix: f.suffix,
      ...(f.language ? { language: f.language } : {}),
      ...(f.filepath ? { filepath: f.filepath } : {}),
      ...(f.extra?.length ? { extra: f.extra } : {}),
    },
    sampling: { temperature: f.temperature ?? 0, topP: f.topP ?? 1, topK: f.topK ?? 0, ...(f.seed !== undefined ? { seed: f.seed } : {}) },
    stop: { maxTokens: f.maxTokens ?? config.requests.defaultMaxTokens, stop, mode: f.mode ?? "none" },
    ...(speculative ? { speculative } : {}),
    ...(f.clientDraft ? { clientDraft: f.clientDraft } : {}),
    ...(f.deadlineMs !== undefined ? { deadlineMs: f.deadlineMs } : {}),
    ...(model ? { model } : {}),
    ...(auth.telemetry ? { telemetry: auth.telemetry } : {}),
    source,
    arrivedAt: Date.now(),
  };
}

/**
 * Resolves after the event loop's next poll phase: the first setImmediate runs in this turn's
 * check phase, the second after the next poll, so I/O that is ready by then (requests that have
 * arrived on other connections, a client's reads of what was just written) is handled first.
 */
export function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * An AbortSignal that aborts when the client goes away before the response is finished
 * (socket close, request aborted). `dispose()` removes the listeners.
 *
 * The abort comes after the event loop's next poll phase. An HTTP client aborts at a keystroke and
 * sends its next request on a new connection at once; the old socket's close and the new
 * connection arrive together, and the new request's bytes are read in the poll phase after them.
 * Cancelling the completion (the request manager parks or stops its generation, then the manager's,
 * the edge's and the route's stream ends run) took ~0.3 ms of the main thread in between, on the
 * path of that next request. The manager already expects a request to arrive before its
 * predecessor's abort (HTTP typing-through); the engine gets the abort one loop turn later.
 */
export function disconnectSignal(request: FastifyRequest, reply: FastifyReply): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let closing = false;
  const onClose = (): void => {
    if (reply.raw.writableFinished || controller.signal.aborted || closing) return;
    closing = true;
    void afterNextPoll().then(() => {
      if (controller.signal.aborted) return;
      request.log.info({ url: request.url }, "client disconnected: cancelling the completion");
      controller.abort(new Error("client disconnected"));
    });
  };
  reply.raw.on("close", onClose);
  request.raw.on("aborted", onClose);
  const socket = request.raw.socket;
  socket?.on("close", onClose);
  return {
    signal: controller.signal,
    dispose: () => {
      reply.raw.off("close", onClose);
      request.raw.off("aborted", onClose);
      socket?.off("close", onClose);
    },
  };
}

/**
 * Runs one completion through the manager and records edge metrics. The first event is pulled
 * before returning, so admission errors (overloaded, ...) throw here, before any header is sent.
 */
export async function startCompletion(ctx: EdgeContext, route: string, request: CompletionRequest, signal: AbortSignal): Promise<AsyncIterator<CompletionEvent>> {
  const t0 = Date.now();
  const iter = ctx.services.manager.complete(request, { signal })[Symbol.asyncIterator]();
  const first = await iter.next();
  let ttftMs: number | undefined;
  async function* tracked(): AsyncGenerator<CompletionEvent> {
    let r = first;
    try {
      while (!r.done) {
        const ev = r.value;
        if (ev.type === "delta" && ttftMs === undefined && ev.text.length > 0) ttftMs = Date.now() - t0;
        if (ev.type === "done") {
          ctx.metrics.observeDone(route, ev, { ttftMs, totalMs: Date.now() - t0 }, signal.aborted ? "client_disconnect" : undefined);
        }
        yield ev;
        r = await iter.next();
      }
    } finally {
      // Closing the manager's stream runs its cleanup (in-flight accounting, reader detach).
      if (!r.done) await iter.return?.();
    }
  }
  return tracked();
}

/** Drains a completion to its end; returns the done event. */
export async function collect(iter: AsyncIterator<CompletionEvent>): Promise<CompletionDone> {
  let done: CompletionDone | undefined;
  for (;;) {
    const r = await iter.next();
    if (r.done) break;
    if (r.value.type === "done") done = r.value;
  }
  if (!done) throw new Error("completion stream ended without a done event");
  return done;
}

/** Interleaves several event streams, tagging each event with its stream index. */
export async function* mergeStreams<T>(iters: AsyncIterator<T>[]): AsyncGenerator<[number, T]> {
  if (iters.length === 1) {
    // one stream (n = 1, nearly every request): no race per event
    const it = iters[0]!;
    let ended = false;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield [0, r.value];
      ended = true;
    } finally {
      // a consumer that stops early closes the stream (its cleanup runs)
      if (!ended) await it.return?.();
    }
    return;
  }
  const pending = new Map<number, Promise<[number, IteratorResult<T>]>>();
  const pull = (i: number): void => {
    const it = iters[i];
    if (it) pending.set(i, it.next().then((r) => [i, r] as [number, IteratorResult<T>]));
  };
  iters.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const [i, r] = await Promise.race(pending.values());
    pending.delete(i);
    if (r.done) continue;
    yield [i, r.value];
    pull(i);
  }
}

/** Usage in the wire shape (OpenAI fields + Ghostline extras). */
export function toWireUsage(u: Usage): WireUsage {
  return usageToWire(u);
}

/**
 * A Server-Sent Events response on a hijacked reply; writes after the client left are dropped.
 * `handledAt` (performance.now() when the route handler began) gives its `Server-Timing` header,
 * `first-event;dur=<ms>`: the server's share of the time to the first event (a completion's first
 * text, or its end), so that a client or an operator can tell it from network and client time.
 */
export class SseWriter {
  private events = 0;

  constructor(
    private readonly reply: FastifyReply,
    private readonly handledAt: number,
  ) {}

  /** Sends the 200 headers (call once the first event is available). */
  start(): void {
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "server-timing": `first-event;dur=${(performance.now() - this.handledAt).toFixed(2)};desc="route handler to first completion event"`,
    });
  }

  /** Writes one `data:` event (objects are JSON-encoded). */
  send(data: unknown): void {
    if (this.closed) return;
    this.reply.raw.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    this.events++;
  }

  /**
   * Call after each completion event written: right after the stream's first event it waits for
   * the event loop's next poll phase (`afterNextPoll`), otherwise it returns at once.
   *
   * The first event is what the user waits for; what follows it (for a completion served from the
   * cache or typed through: its end, usage and metrics, the manager's and the stream's clean-up,
   * ~0.2 ms of the main thread on this 2-core VM) can wait one loop turn. Requests that arrived
   * meanwhile on other connections (other users' keystrokes) are read first, and a client in this
   * process (the benchmark's) reads the first event without waiting behind that work. Measured:
   * from the first write to the client's `response` event 0.34–0.41 → 0.18–0.23 ms (docs/performance.md).
   */
  afterEvent(): Promise<void> | undefined {
    return this.events === 1 && !this.closed ? afterNextPoll() : undefined;
  }

  /** True once the client is gone or the stream ended. */
  get closed(): boolean {
    return this.reply.raw.destroyed || this.reply.raw.writableEnded;
  }

  end(): void {
    if (!this.closed) this.reply.raw.end();
  }
}
