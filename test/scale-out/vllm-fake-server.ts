/**
 * A recorded-stream fake of vLLM's OpenAI-compatible server for tests (node:http on 127.0.0.1, port 0).
 *
 * The SSE format replays vLLM's `completion_stream_generator` in
 * vllm-project/vllm: vllm/entrypoints/openai/serving_completion.py — one
 * `data: <CompletionStreamResponse JSON>\n\n` per step with
 * `{"id","object":"text_completion","created","model","choices":[{"index","text","logprobs":null,
 * "finish_reason","stop_reason"}],"usage":null}`, the last step carrying finish_reason
 * "length"/"stop", an optional usage-only chunk (`choices: []`) when stream_options.include_usage,
 * then `data: [DONE]\n\n`. Mid-stream errors are `data: {"error": {...}}` before [DONE].
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake does with the next completion requests. */
export interface FakeScript {
  /** Text pieces, one SSE chunk each. */
  pieces: string[];
  finishReason?: "length" | "stop";
  /** vLLM's stop_reason on the last chunk (the matched stop string, or null for EOS). */
  stopReason?: string | null;
  /** Delay before each piece (ms). */
  delayMs?: number;
  /** Never send anything (not even headers). */
  hang?: boolean;
  /** Send headers, then nothing. */
  hangAfterHeaders?: boolean;
  /** Answer with this HTTP status and a vLLM-style error body. */
  status?: number;
  /** After the pieces, do not finish: keep the stream open. */
  keepOpen?: boolean;
  /** Extra fields merged into the final chunk (e.g. llama-server `timings`). */
  finalExtra?: Record<string, unknown>;
  /** Send an error chunk after the pieces. */
  errorChunk?: string;
}

/** A running fake. `requests` records every request body; `closed` counts completion requests whose connection closed early. */
export interface FakeVllm {
  url: string;
  script: FakeScript;
  requests: Record<string, unknown>[];
  closedEarly: number;
  completed: number;
  healthOk: boolean;
  /** GET /v1/models calls. */
  modelListings: number;
  /** Resolves when the next completion connection closes before the stream finished. */
  nextEarlyClose(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the fake on 127.0.0.1:0 serving model `model`. */
export async function startFakeVllm(model = "Qwen/Qwen2.5-Coder-1.5B", script: FakeScript = { pieces: ["hello"] }): Promise<FakeVllm> {
  let waiters: (() => void)[] = [];
  const state: FakeVllm = {
    url: "",
    script,
    requests: [],
    closedEarly: 0,
    completed: 0,
    healthOk: true,
    modelListings: 0,
    nextEarlyClose: () => new Promise<void>((r) => waiters.push(r)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  async function completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = "";
    for await (const c of req) raw += String(c);
    const body = JSON.parse(raw) as Record<string, unknown>;
    state.requests.push(body);
    const s = state.script;
    let finished = false;
    res.on("close", () => {
      if (!finished) {
        state.closedEarly++;
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
      }
    });
    if (s.hang) return;
    if (s.status) {
      finished = true;
      res.writeHead(s.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "error", message: "fake failure", type: "BadRequestError", param: null, code: s.status }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.flushHeaders();
    if (s.hangAfterHeaders) return;
    const id = "cmpl-" + Math.random().toString(16).slice(2, 18);
    const created = Math.floor(Date.now() / 1000);
    const chunk = (text: string, finish: string | null, stop: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "text_completion", created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: stop }], usage: null, ...extra })}\n\n`;
    for (let i = 0; i < s.pieces.length; i++) {
      if (s.delayMs) await sleep(s.delayMs);
      if (res.destroyed) return;
      const last = i === s.pieces.length - 1 && !s.keepOpen && !s.errorChunk;
      res.write(last ? chunk(s.pieces[i]!, s.finishReason ?? "length", s.stopReason ?? null, s.finalExtra) : chunk(s.pieces[i]!, null, null));
    }
    if (s.keepOpen) return;
    if (s.errorChunk) res.write(`data: ${JSON.stringify({ error: { object: "error", message: s.errorChunk, type: "BadRequestError", param: null, code: 400 } })}\n\n`);
    const opts = body.stream_options as { include_usage?: boolean } | undefined;
    if (opts?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: "text_completion", created, model, choices: [], usage: { prompt_tokens: 12, total_tokens: 12 + s.pieces.length, completion_tokens: s.pieces.length } })}\n\n`);
    }
    res.write("data: [DONE]\n\n");
    finished = true;
    state.completed++;
    res.end();
  }

  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/v1/completions") {
      void completions(req, res).catch(() => res.destroy());
      return;
    }
    if (req.method === "GET" && req.url === "/v1/models") {
      state.modelListings++;
      res.writeHead(state.healthOk ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model", created: 0, owned_by: "vllm" }] }));
      return;
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(state.healthOk ? 200 : 503);
      res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

/** A base URL where nothing listens (a port bound then released). */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}
