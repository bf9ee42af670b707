import { afterEach, describe, expect, it } from "vitest";
import { isGhostlineError, type GhostlineError } from "../../src/core/errors.js";
import { createOpenAICompatEngine } from "../../src/engines/openai-compat/index.js";
import { deadUrl, startFakeVllm, type FakeVllm } from "./vllm-fake-server.js";
import { drain, engineRequest } from "./request-factory.js";

const fakes: FakeVllm[] = [];
async function fake(...args: Parameters<typeof startFakeVllm>): Promise<FakeVllm> {
  const f = await startFakeVllm(...args);
  fakes.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function errorOf(p: Promise<unknown>): Promise<GhostlineError> {
  try {
    await p;
  } catch (e) {
    if (isGhostlineError(e)) return e;
    throw e;
  }
  throw new Error("expected a GhostlineError");
}

describe("openai-compat engine against a vLLM-format stream", () => {
  it("streams deltas, renders the family's FIM template and maps finish_reason", async () => {
    const f = await fake("Qwen/Qwen2.5-Coder-1.5B", { pieces: ["return", " a", " + b"], finishReason: "stop" });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], model: "Qwen/Qwen2.5-Coder-1.5B", family: "auto", timeoutMs: 2_000 });
    const { deltas, done } = await drain(engine.complete(engineRequest(), {}));
    expect(deltas.join("")).toBe("return a + b");
    expect(done.text).toBe("return a + b");
    expect(done.stopReason).toBe("eos");
    expect(done.usage.promptTokens).toBe(12);
    expect(done.usage.completionTokens).toBe(3);
    const sent = f.requests[0]!;
    expect(sent.prompt).toBe("<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>");
    expect(sent.stream).toBe(true);
    expect(sent.max_tokens).toBe(32);
    expect(sent.model).toBe("Qwen/Qwen2.5-Coder-1.5B");
    expect(sent.stop).toContain("<|endoftext|>");
    expect(engine.info.family).toBe("qwen");
  });

  it("family auto without a model name: discovered once from GET /models", async () => {
    const f = await fake("deepseek-ai/deepseek-coder-1.3b-base", { pieces: ["x"] });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "auto", timeoutMs: 2_000 });
    await drain(engine.complete(engineRequest(), {}));
    await drain(engine.complete(engineRequest(), {}));
    expect(f.requests[0]!.prompt).toMatch(/^<｜fim▁begin｜>def add/);
    expect(f.requests[1]!.prompt).toBe(f.requests[0]!.prompt);
    expect(f.requests[0]!.model).toBeUndefined();
    expect(f.modelListings).toBe(1);
  });

  it("finish_reason length → max_tokens; stop_reason string → stop_string", async () => {
    const f = await fake(undefined, { pieces: ["a", "b"], finishReason: "length" });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 2_000 });
    expect((await drain(engine.complete(engineRequest(), {}))).done.stopReason).toBe("max_tokens");
    f.script = { pieces: ["a"], finishReason: "stop", stopReason: "\n\n" };
    expect((await drain(engine.complete(engineRequest(), {}))).done.stopReason).toBe("stop_string");
  });

  it("applies stop rules locally and closes the upstream stream when one fires", async () => {
    const f = await fake(undefined, { pieces: ["return a", " + b\n", "print(1)\n", "x"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 2_000 });
    const closed = f.nextEarlyClose();
    const { done } = await drain(engine.complete(engineRequest({ stop: { maxTokens: 32, stop: [], mode: "line" } }), {}));
    expect(done.text).toBe("return a + b");
    expect(done.stopReason).toBe("end_of_line");
    await closed;
    expect(f.closedEarly).toBe(1);
  });

  it("cancel mid-stream closes the upstream connection and ends as cancelled", async () => {
    const f = await fake(undefined, { pieces: ["a", "b", "c"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 5_000 });
    const ac = new AbortController();
    const closed = f.nextEarlyClose();
    const seen: string[] = [];
    let stopReason: string | undefined;
    for await (const e of engine.complete(engineRequest(), { signal: ac.signal })) {
      if (e.type === "delta") {
        seen.push(e.text);
        if (seen.length === 2) ac.abort();
      } else stopReason = e.stopReason;
    }
    expect(stopReason).toBe("cancelled");
    expect(seen).toEqual(["a", "b"]);
    await closed;
    expect(f.closedEarly).toBe(1);
  });

  it("a consumer that stops iterating also closes the upstream", async () => {
    const f = await fake(undefined, { pieces: ["a", "b"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 5_000 });
    const closed = f.nextEarlyClose();
    for await (const e of engine.complete(engineRequest(), {})) {
      if (e.type === "delta") break;
    }
    await closed;
    expect(f.closedEarly).toBe(1);
  });

  it("cancel before start sends nothing", async () => {
    const f = await fake(undefined, { pieces: ["a"] });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 2_000 });
    const ac = new AbortController();
    ac.abort();
    const { done } = await drain(engine.complete(engineRequest(), { signal: ac.signal }));
    expect(done.stopReason).toBe("cancelled");
    expect(f.requests).toHaveLength(0);
  });

  it("no first byte within the timeout → upstream_timeout", async () => {
    const f = await fake(undefined, { pieces: [], hang: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 150 });
    expect((await errorOf(drain(engine.complete(engineRequest(), {})))).code).toBe("upstream_timeout");
    f.script = { pieces: [], hangAfterHeaders: true };
    expect((await errorOf(drain(engine.complete(engineRequest(), {})))).code).toBe("upstream_timeout");
  });

  it("a stalled stream after some text ends with stopReason error and keeps the text", async () => {
    const f = await fake(undefined, { pieces: ["abc"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 150 });
    const { done } = await drain(engine.complete(engineRequest(), {}));
    expect(done.stopReason).toBe("error");
    expect(done.text).toBe("abc");
  });

  it("HTTP error → upstream_error; error chunk → upstream_error", async () => {
    const f = await fake(undefined, { pieces: [], status: 400 });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 2_000 });
    const e = await errorOf(drain(engine.complete(engineRequest(), {})));
    expect(e.code).toBe("upstream_error");
    expect(e.details).toMatchObject({ status: 400 });
    f.script = { pieces: [], errorChunk: "prompt too long" };
    expect((await errorOf(drain(engine.complete(engineRequest(), {})))).code).toBe("upstream_error");
  });

  it("dead upstream → upstream_unavailable; a live second upstream takes over", async () => {
    const dead = await deadUrl();
    const solo = createOpenAICompatEngine({ baseUrls: [dead], family: "starcoder", timeoutMs: 2_000 });
    expect((await errorOf(drain(solo.complete(engineRequest(), {})))).code).toBe("upstream_unavailable");
    const f = await fake(undefined, { pieces: ["ok"] });
    const pair = createOpenAICompatEngine({ baseUrls: [dead, f.url], family: "starcoder", timeoutMs: 2_000 });
    for (let i = 0; i < 4; i++) {
      const { done } = await drain(pair.complete(engineRequest({ affinityKey: `doc${i}` }), {}));
      expect(done.text).toBe("ok");
    }
  });

  it("the breaker opens after consecutive failures and half-opens after the cool-down", async () => {
    const dead = await deadUrl();
    let t = 0;
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const engine = createOpenAICompatEngine({ baseUrls: [dead], family: "starcoder", timeoutMs: 2_000, breaker: { failureThreshold: 2, coolDownMs: 1_000 }, now: () => t, fetchImpl: counting });
    for (let i = 0; i < 2; i++) await errorOf(drain(engine.complete(engineRequest(), {})));
    expect(calls).toBe(2);
    const open = await errorOf(drain(engine.complete(engineRequest(), {})));
    expect(open.code).toBe("upstream_unavailable");
    expect(open.message).toMatch(/circuit open/);
    expect(calls).toBe(2);
    t = 1_000;
    await errorOf(drain(engine.complete(engineRequest(), {})));
    expect(calls).toBe(3);
    await errorOf(drain(engine.complete(engineRequest(), {})));
    expect(calls).toBe(3);
  });

  it("health: ok with a live upstream, upstream_unavailable without", async () => {
    const f = await fake(undefined, { pieces: [] });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url, await deadUrl()], family: "starcoder", timeoutMs: 1_000 });
    const h = await engine.health();
    expect(h.ok).toBe(true);
    expect((h.details?.upstreams as { ok: boolean }[]).map((u) => u.ok)).toEqual([true, false]);
    f.healthOk = false;
    expect((await errorOf(engine.health())).code).toBe("upstream_unavailable");
  });

  it("surfaces llama-server speculative timings", async () => {
    const f = await fake(undefined, { pieces: ["a", "b", "c", "d"], finalExtra: { timings: { prompt_n: 3, cache_n: 9, predicted_n: 4, draft_n: 4, draft_n_accepted: 2 } } });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "ghostline", timeoutMs: 2_000 });
    const { done } = await drain(engine.complete(engineRequest(), {}));
    expect(done.usage.promptTokensReused).toBe(9);
    expect(done.usage.speculative).toMatchObject({ accepted: { "draft-model": 2 }, proposed: { "draft-model": 4 }, targetPasses: 2, tokensPerPass: 2 });
    expect(f.requests[0]!.prompt).toBe("<fim_suffix>\n\nprint(add(1, 2))\n<fim_prefix>def add(a, b):\n    <fim_middle>");
  });

  it("after the deadline, stops at the next line end with stopReason deadline", async () => {
    const f = await fake(undefined, { pieces: ["ab", "c\nd", "e"], delayMs: 20, keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 5_000, deadlineGraceMs: 5_000 });
    const { done } = await drain(engine.complete(engineRequest({ deadline: Date.now() - 1 }), {}));
    expect(done.text).toBe("abc");
    expect(done.stopReason).toBe("deadline");
  });

  it("after the deadline plus grace, a stream without line ends is cut", async () => {
    const f = await fake(undefined, { pieces: ["ab"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 5_000, deadlineGraceMs: 50 });
    const { done } = await drain(engine.complete(engineRequest({ deadline: Date.now() }), {}));
    expect(done.text).toBe("ab");
    expect(done.stopReason).toBe("deadline");
  });

  it("close() ends in-flight requests as cancelled", async () => {
    const f = await fake(undefined, { pieces: ["a"], keepOpen: true });
    const engine = createOpenAICompatEngine({ baseUrls: [f.url], family: "starcoder", timeoutMs: 5_000 });
    const it = engine.complete(engineRequest(), {})[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: "delta", text: "a" });
    await engine.close();
    expect((await it.next()).value).toMatchObject({ type: "done", stopReason: "cancelled" });
  });
});
