/**
 * Typing-trace clients: replay one trace in real time (scaled by `speed`) against a server and
 * record keystroke→first-token latencies. Three clients:
 *  - ws:   Ghostline's WebSocket session (open once, change per keystroke, complete after debounce)
 *  - http: OpenAI-style POST /v1/completions (stream), aborting the previous request per keystroke
 *  - peer: llama-server POST /infill (stream), aborting per keystroke (opt-in, --peer URL)
 * All three wait the shipped client library's AdaptiveDebounce (base = the server's
 * ClientSettings.debounceMs) before requesting, so they differ only in protocol and server.
 * BENCH_DEBUG=1 prints each WS completion's server usage and timings, its stop reason, its own
 * keystroke → first token latency (-1: none) and how it was reused to stderr.
 */
import http from "node:http";
import WebSocket from "ws";
import { AdaptiveDebounce } from "../packages/client/src/debounce.js";
import type { TypingTrace } from "./trace-generator.js";

/** Per-trace result of a client. */
export interface ClientResult {
  latenciesMs: number[];
  requests: number;
  /** Requests superseded (or ended) before a first token arrived. */
  superseded: number;
  reused: { "typing-through": number; cache: number; lookahead: number };
  /**
   * WebSocket: the latencies of the keystrokes whose completion the engine generated (not reused
   * by typing-through or the cache, nor begun by a lookahead probe; the `done` frame says which).
   */
  engineLatenciesMs: number[];
  /** Failed requests' messages, one per failure. */
  errors: string[];
  /** node:http requests sent again after the server closed a reused connection unanswered (postStream). */
  retried: number;
  /**
   * Ghostline over HTTP: per first token, the server's own time to its first event (its
   * `Server-Timing: first-event` header, route handler → first event), and the latency minus it
   * (the client, the transport, the HTTP parsing before the handler, the write).
   */
  serverMs: number[];
  outsideServerMs: number[];
}

/** Options shared by the clients. */
export interface ReplayOptions {
  baseUrl: string;
  debounceMs: number;
  maxTokens: number;
  /** Time compression: 2 = twice as fast as the trace. */
  speed: number;
  onKeystroke?: () => void;
  /**
   * The developer typing (HTTP: OpenAI's `user` field). Every typist of a run comes from
   * 127.0.0.1, and two traces may edit the same file: without a user they would be one client to
   * the server, superseding each other's requests.
   */
  user?: string;
  /**
   * The HTTP client library: `fetch` (Node's built-in, undici: what tabby-agent and Continue use) or
   * `node` (node:http with a keep-alive agent: what axios-based clients such as llama.vscode use).
   */
  transport?: HttpTransport;
  /**
   * Called once the typist's unmeasured warm-up (file opened, cursor placed, one completion) is
   * done; typing starts when it resolves. A run passes one `barrier` to all its typists, so nobody
   * types while another typist's file is still being opened (its whole prompt prefilled).
   */
  ready?: () => Promise<void>;
}

/** A barrier for `n` parties: each call resolves once `n` calls were made. */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived >= n) release();
    return all;
  };
}

/** See ReplayOptions.transport. */
export type HttpTransport = "fetch" | "node";

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs a JSON body and hands each response chunk to `onChunk` until the response ends; resolves
 * with the status (a non-200 body is drained unread). Aborting `signal` rejects.
 *
 * node:http: a request sent on a reused keep-alive connection that the server closed before
 * answering (ECONNRESET before any response, "socket hang up") is sent again, up to 3 times (the
 * agent may hand out another connection the server has just closed), as Node's documentation
 * advises for keep-alive agents (`request.reusedSocket`); sending a completion request twice
 * costs at most one unused completion. llama-server sometimes closes a connection right after a
 * streamed response ends; the client reused it within a millisecond in 7–8 of 975 requests per
 * peer × 8 run (2026-12-06), which the report counted as failed requests.
 */
async function postStream(transport: HttpTransport, url: string, body: string, signal: AbortSignal, onChunk: (chunk: Uint8Array) => void, stats?: { retried: number }, onServerMs?: (ms: number) => void): Promise<number> {
  const timing = (h: string | null | undefined): void => {
    const m = h ? /first-event;dur=([\d.]+)/.exec(h) : null;
    if (m) onServerMs?.(Number(m[1]));
  };
  if (transport === "fetch") {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal });
    timing(r.headers.get("server-timing"));
    if (!r.ok || !r.body) {
      await r.text().catch(() => "");
      return r.status;
    }
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) onChunk(chunk);
    return r.status;
  }
  const send = (attempt: number): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      let answered = false;
      const req = http.request(url, { method: "POST", agent: keepAlive, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        answered = true;
        timing(String(res.headers["server-timing"] ?? ""));
        const status = res.statusCode ?? 0;
        res.on("data", (chunk: Buffer) => (status === 200 ? onChunk(chunk) : undefined));
        res.on("end", () => resolve(status));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("response aborted")));
      });
      const onAbort = (): void => void req.destroy(new Error("aborted"));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (attempt < 3 && !answered && !signal.aborted && req.reusedSocket && e.code === "ECONNRESET") {
          if (stats) stats.retried++;
          resolve(send(attempt + 1));
        } else reject(e);
      });
      req.on("close", () => signal.removeEventListener("abort", onAbort));
      req.end(body);
    });
  return send(0);
}

function position(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) !== 10) continue;
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

function rawText(data: WebSocket.RawData): string {
  return Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
}

/** Resolves after `ms` (at once for ms <= 0). */
export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Walks the trace in real time; calls `key(i, text, cursor)` after applying each event. */
async function walk(trace: TypingTrace, speed: number, key: (i: number, text: string, cursor: number, ev: TypingTrace["events"][number], before: string) => void, onKeystroke?: () => void): Promise<void> {
  let text = trace.initialText;
  const t0 = performance.now();
  for (let i = 0; i < trace.events.length; i++) {
    const ev = trace.events[i]!;
    await wait(ev.t / speed - (performance.now() - t0));
    const before = text;
    text = text.slice(0, ev.offset - ev.deleteCount) + ev.text + text.slice(ev.offset);
    key(i, text, ev.offset - ev.deleteCount + ev.text.length, ev, before);
    onKeystroke?.();
  }
}

function emptyResult(): ClientResult {
  return { latenciesMs: [], requests: 0, superseded: 0, reused: { "typing-through": 0, cache: 0, lookahead: 0 }, engineLatenciesMs: [], errors: [], retried: 0, serverMs: [], outsideServerMs: [] };
}

/** Ghostline WebSocket session client. */
export async function replayWs(trace: TypingTrace, o: ReplayOptions): Promise<ClientResult> {
  const res = emptyResult();
  const ws = new WebSocket(o.baseUrl.replace(/^http/, "ws") + "/v1/stream");
  await new Promise<void>((resolve, reject) => (ws.once("open", () => resolve()), ws.once("error", reject)));
  const pending = new Map<string, { keyAt: number; firedAt: number; got: boolean; latencyMs?: number }>();
  const debounce = new AdaptiveDebounce({ initialMs: o.debounceMs });
  ws.on("message", (data) => {
    const m = JSON.parse(rawText(data)) as { type: string; id?: string; reused?: "typing-through" | "cache" | "lookahead"; error?: { code: string } };
    const p = m.id ? pending.get(m.id) : undefined;
    if (m.type === "error") res.errors.push(m.error?.code ?? "?");
    if (!p) return;
    if ((m.type === "delta" || m.type === "done") && !p.got) {
      p.got = true;
      if (m.type === "delta" || (m as { stop_reason?: string }).stop_reason !== "cancelled") {
        p.latencyMs = performance.now() - p.keyAt;
        res.latenciesMs.push(p.latencyMs);
        debounce.served((performance.now() - p.firedAt) * o.speed);
      } else res.superseded++;
    }
    if (m.type === "done") {
      if (process.env.BENCH_DEBUG) process.stderr.write(`DBG ${trace.uri} ${m.id} ${JSON.stringify((m as { usage?: unknown }).usage)} ${(m as { stop_reason?: string }).stop_reason} ${(p.latencyMs ?? -1).toFixed(1)} ${m.reused ?? "-"}\n`);
      if (m.reused) res.reused[m.reused]++;
      else if (p.latencyMs !== undefined) res.engineLatenciesMs.push(p.latencyMs);
      pending.delete(m.id!);
    }
  });
  ws.send(JSON.stringify({ type: "hello", client: "trace-replay" }));
  ws.send(JSON.stringify({ type: "open", document: { uri: trace.uri, languageId: trace.language, version: 0, text: trace.initialText } }));
  // Warm-up (not measured): the file was opened and the cursor placed before typing starts.
  await new Promise<void>((resolve) => {
    const onMsg = (data: unknown): void => {
      const m = JSON.parse(rawText(data as WebSocket.RawData)) as { type: string; id?: string };
      if (m.id !== "warmup" || (m.type !== "done" && m.type !== "error")) return;
      ws.off("message", onMsg);
      resolve();
    };
    ws.on("message", onMsg);
    ws.send(JSON.stringify({ type: "complete", id: "warmup", uri: trace.uri, version: 0, position: position(trace.initialText, trace.cursor), max_tokens: 1 }));
  });
  await o.ready?.();
  let version = 0;
  let timer: NodeJS.Timeout | undefined;
  await walk(
    trace,
    o.speed,
    (i, text, cursor, ev, before) => {
      const start = position(before, ev.offset - ev.deleteCount);
      const end = position(before, ev.offset);
      ws.send(JSON.stringify({ type: "change", uri: trace.uri, version: ++version, changes: [{ range: { start, end }, text: ev.text }] }));
      const keyAt = performance.now();
      const delay = debounce.keystroke(keyAt * o.speed);
      clearTimeout(timer);
      const send = (): void => {
        const id = `k${i}`;
        pending.set(id, { keyAt, firedAt: performance.now(), got: false });
        res.requests++;
        ws.send(JSON.stringify({ type: "complete", id, uri: trace.uri, version, position: position(text, cursor), max_tokens: o.maxTokens }));
      };
      if (delay > 0) timer = setTimeout(send, delay / o.speed);
      else send();
    },
    o.onKeystroke,
  );
  await wait(1500);
  ws.close();
  res.superseded += [...pending.values()].filter((p) => !p.got).length;
  return res;
}

/** A streaming HTTP client (OpenAI /v1/completions or llama-server /infill) that aborts per keystroke. */
export async function replayHttp(trace: TypingTrace, o: ReplayOptions & { kind: "openai" | "peer" }): Promise<ClientResult> {
  const res = emptyResult();
  let timer: NodeJS.Timeout | undefined;
  let current: AbortController | undefined;
  const debounce = new AdaptiveDebounce({ initialMs: o.debounceMs });
  const transport = o.transport ?? "fetch";
  {
    // Warm-up (not measured), as for the WebSocket client.
    const prefix = trace.initialText.slice(0, trace.cursor);
    const suffix = trace.initialText.slice(trace.cursor);
    const [url, body] =
      o.kind === "openai"
        ? [`${o.baseUrl}/v1/completions`, { model: "ghostline", prompt: prefix, suffix, max_tokens: 1, temperature: 0, ...(o.user ? { user: o.user } : {}) }]
        : [`${o.baseUrl}/infill`, { input_prefix: prefix, input_suffix: suffix, n_predict: 1, cache_prompt: true }];
    await postStream(transport, url, JSON.stringify(body), new AbortController().signal, () => undefined, res).catch(() => 0);
  }
  await o.ready?.();
  const inflight = new Set<Promise<void>>();
  const fire = (text: string, cursor: number, keyAt: number): void => {
    const ac = new AbortController();
    current = ac;
    res.requests++;
    const prefix = text.slice(0, cursor);
    const suffix = text.slice(cursor);
    const [url, body] =
      o.kind === "openai"
        ? [`${o.baseUrl}/v1/completions`, { model: "ghostline", prompt: prefix, suffix, max_tokens: o.maxTokens, temperature: 0, stream: true, ...(o.user ? { user: o.user } : {}) }]
        : [`${o.baseUrl}/infill`, { input_prefix: prefix, input_suffix: suffix, n_predict: o.maxTokens, stream: true, cache_prompt: true, samplers: ["top_k"], top_k: 1 }];
    const firedAt = performance.now();
    const run = (async () => {
      let got = false;
      let failed = false; // an error is counted as one, not as superseded
      let serverMs: number | undefined;
      try {
        const decoder = new TextDecoder();
        const status = await postStream(transport, url, JSON.stringify(body), ac.signal, (chunk) => {
          if (got) return;
          const s = decoder.decode(chunk, { stream: true });
          if (/"(text|content)":"[^"]/.test(s)) {
            got = true;
            const latency = performance.now() - keyAt;
            res.latenciesMs.push(latency);
            if (serverMs !== undefined) {
              res.serverMs.push(serverMs);
              res.outsideServerMs.push(latency - serverMs);
            }
            debounce.served((performance.now() - firedAt) * o.speed);
          }
        }, res, (ms) => (serverMs = ms));
        if (status !== 200) {
          failed = true;
          res.errors.push(String(status));
        }
      } catch (e) {
        if (!ac.signal.aborted) {
          failed = true;
          res.errors.push(e instanceof Error ? e.message : String(e));
        }
      } finally {
        if (!got && !failed) res.superseded++;
      }
    })();
    inflight.add(run);
    void run.finally(() => inflight.delete(run));
  };
  await walk(
    trace,
    o.speed,
    (_i, text, cursor) => {
      current?.abort();
      const keyAt = performance.now();
      const delay = debounce.keystroke(keyAt * o.speed);
      clearTimeout(timer);
      if (delay > 0) timer = setTimeout(() => fire(text, cursor, keyAt), delay / o.speed);
      else fire(text, cursor, keyAt);
    },
    o.onKeystroke,
  );
  await wait(1500);
  current?.abort();
  await Promise.all([...inflight]);
  return res;
}
