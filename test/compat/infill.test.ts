import { afterEach, describe, expect, it } from "vitest";
import { makeServer, sseData, type TestServer } from "../server/helpers.js";

let s: TestServer;
afterEach(async () => s?.close());

/** A request shaped like llama.vim's s:fim_on_... (autoload/llama.vim). */
const llamaVimRequest = {
  id_slot: 0,
  input_prefix: "def add(a, b):\n",
  input_suffix: "\n\nprint(add(1, 2))\n",
  input_extra: [{ filename: "util.py", text: "def sub(a, b):\n    return a - b\n" }],
  prompt: "    ret",
  n_predict: 128,
  stop: [],
  n_indent: 4,
  top_k: 40,
  top_p: 0.9,
  samplers: ["top_k", "top_p", "infill"],
  stream: false,
  cache_prompt: true,
  t_max_prompt_ms: 500,
  t_max_predict_ms: 1000,
  response_fields: [
    "content",
    "timings/prompt_n",
    "timings/prompt_ms",
    "timings/prompt_per_token_ms",
    "timings/prompt_per_second",
    "timings/predicted_n",
    "timings/predicted_ms",
    "timings/predicted_per_token_ms",
    "timings/predicted_per_second",
    "truncated",
    "tokens_cached",
  ],
};

describe("POST /infill (llama-server compatible)", () => {
  it("serves llama.vim's request: prompt appended to the prefix, flattened response_fields", async () => {
    s = await makeServer({ engine: { script: (r) => `urn a + b  # ${r.fim.extra?.[0]?.filepath}` } });
    const res = await s.app.inject({ method: "POST", url: "/infill", payload: llamaVimRequest });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([...llamaVimRequest.response_fields].sort());
    expect(body.content).toBe("urn a + b  # util.py");
    expect(body["timings/predicted_n"]).toBeGreaterThan(0);
    expect(typeof body["timings/prompt_ms"]).toBe("number");
    expect(body.truncated).toBe(false);
    const call = s.engine.calls[0]!;
    expect(call.fim.prefix).toBe("def add(a, b):\n    ret");
    expect(call.fim.suffix).toBe(llamaVimRequest.input_suffix);
    expect(call.fim.extra).toEqual([{ filepath: "util.py", text: llamaVimRequest.input_extra[0]!.text }]);
    expect(call.stop).toMatchObject({ maxTokens: 128, mode: "block" });
    expect(call.sampling).toMatchObject({ topK: 40, topP: 0.9 });
    expect(call.deadline).toBeDefined();
  });

  it("answers llama.vim's ring-buffer warm-up (n_predict 0, empty input) without generating", async () => {
    s = await makeServer();
    const res = await s.app.inject({
      method: "POST",
      url: "/infill",
      payload: { input_prefix: "", input_suffix: "", input_extra: [{ filename: "a.py", text: "x = 1\n" }], prompt: "", n_predict: 0, temperature: 0, stream: false, samplers: ["temperature"], cache_prompt: true, t_max_prompt_ms: 1, t_max_predict_ms: 1, response_fields: [""] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    expect(s.engine.calls).toHaveLength(0);
  });

  it("serves llama.vscode's request and its n_predict 1 warm-up with the full reply", async () => {
    s = await makeServer({ engine: { script: () => "const y = 2;" } });
    const vscode = {
      input_prefix: "const x = 1;\n",
      input_suffix: "\n",
      input_extra: [],
      prompt: "",
      n_predict: 128,
      top_k: 40,
      top_p: 0.99,
      stream: false,
      n_indent: 0,
      samplers: ["top_k", "top_p", "infill"],
      cache_prompt: true,
      t_max_prompt_ms: 500,
      t_max_predict_ms: 2500,
    };
    const res = await s.app.inject({ method: "POST", url: "/infill", payload: vscode });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ content: "const y = 2;", stop: true, stop_type: "eos", truncated: false, model: "fake-model" });
    expect(body.timings).toMatchObject({ predicted_n: expect.any(Number), prompt_n: expect.any(Number), predicted_ms: expect.any(Number) });
    expect(typeof body.tokens_cached).toBe("number");
    expect(s.engine.calls[0]?.stop.mode).toBe("none");
    const warm = await s.app.inject({ method: "POST", url: "/infill", payload: { ...vscode, input_prefix: "", input_suffix: "", n_predict: 1 } });
    expect(warm.statusCode).toBe(200);
    expect(warm.json().stop_type).toBe("limit");
  });

  it("n_cmpl 3 replies with an array of three completions", async () => {
    s = await makeServer({ engine: { script: (r) => `c${r.sampling.seed}` } });
    const res = await s.app.inject({ method: "POST", url: "/v1/infill", payload: { input_prefix: "a", input_suffix: "b", n_cmpl: 3, temperature: 0.7, seed: 0 } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ index: number; content: string }[]>();
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((b) => [b.index, b.content])).toEqual([[0, "c0"], [1, "c1"], [2, "c2"]]);
  });

  it("streams content lines and a final stop line with timings", async () => {
    s = await makeServer({ engine: { script: () => "abcdefg", tokenChars: 2 } });
    const res = await s.app.inject({ method: "POST", url: "/infill", payload: { input_prefix: "x", input_suffix: "", stream: true } });
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = sseData(res.body).map((d) => JSON.parse(d));
    const last = events.at(-1);
    expect(last).toMatchObject({ stop: true, stop_type: "eos" });
    expect(last.timings.predicted_n).toBe(4);
    expect(events.slice(0, -1).every((e) => e.stop === false)).toBe(true);
    expect(events.map((e) => e.content).join("")).toBe("abcdefg");
  });

  it("reports stop_type word for stop strings and limit for n_predict", async () => {
    s = await makeServer({ engine: { script: () => "one;two;three", tokenChars: 1 } });
    const w = await s.app.inject({ method: "POST", url: "/infill", payload: { input_prefix: "w", stop: [";"] } });
    expect(w.json()).toMatchObject({ content: "one", stop_type: "word" });
    const l = await s.app.inject({ method: "POST", url: "/infill", payload: { input_prefix: "l", n_predict: 2 } });
    expect(l.json()).toMatchObject({ content: "on", stop_type: "limit" });
  });

  it("GET /health answers {status: ok}", async () => {
    s = await makeServer();
    const res = await s.app.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });
});
