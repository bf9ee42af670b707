import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isGhostlineError } from "../../src/core/errors.js";
import { createLlamaCppEngine, type LlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";
import { samplerPoolStats } from "../../src/engines/llama-cpp/sampler-pool.js";
import { collect, makeRequest, repoFimTasks, TARGET, taskWithLongOutput } from "./helpers.js";

let engine: LlamaCppEngine;
let chunkHook: ((evaluated: number) => void) | undefined;
const base = {
  threads: 1,
  draftThreads: 1,
  sequences: 2,
  prefillChunk: 16,
  gpu: false,
  budgets: { prefixTokens: 300, suffixTokens: 80, extraTokens: 0 },
  speculative: { enabled: false, sources: [], maxK: 4 },
};

beforeAll(async () => {
  engine = await createLlamaCppEngine({ ...base, modelPath: TARGET, onPrefillChunk: (n) => chunkHook?.(n) });
});
afterAll(async () => {
  await engine?.close();
});

const [task] = repoFimTasks(1);
const fim = { prefix: task!.prefix, suffix: task!.suffix };

describe("llama-cpp engine", () => {
  it("reports a bad model path as model_load_failed with the cause", async () => {
    const err = await createLlamaCppEngine({ ...base, modelPath: "/nonexistent/model.gguf" }).catch(
      (e: unknown) => e,
    );
    expect(isGhostlineError(err, "model_load_failed")).toBe(true);
    expect(String((err as Error).message)).toContain("/nonexistent/model.gguf");
  });

  it("loads and streams deltas whose concatenation is the final text", async () => {
    expect(engine.info.family).toBe("ghostline");
    const r = await collect(engine, makeRequest(fim, { tenant: "stream", affinityKey: "stream:a" }));
    expect(r.deltas.join("")).toBe(r.text);
    expect(["cancelled", "error", "deadline"]).not.toContain(r.stopReason);
    expect(r.usage.completionTokens).toBeGreaterThan(0);
    expect(r.usage.completionTokens).toBeLessThanOrEqual(16);
    expect(r.usage.promptTokensReused + r.usage.promptTokensEvaluated).toBe(r.usage.promptTokens);
  });

  it("greedy decoding is deterministic (fresh tenant each time, and with reuse)", async () => {
    const a = await collect(engine, makeRequest(fim, { tenant: "det1", affinityKey: "det1:a" }));
    const b = await collect(engine, makeRequest(fim, { tenant: "det2", affinityKey: "det2:a" }));
    const c = await collect(engine, makeRequest(fim, { tenant: "det2", affinityKey: "det2:a" }));
    expect(b.text).toBe(a.text);
    expect(c.text).toBe(a.text);
    expect(c.usage.promptTokensReused).toBe(c.usage.promptTokens - 1);
    expect(c.usage.promptTokensEvaluated).toBe(1);
  });

  it("reuses the KV prefix when the prefix grows: only new tokens are evaluated", async () => {
    const before = engine.stats().tokensEvaluated;
    const first = await collect(
      engine,
      makeRequest(fim, {
        tenant: "reuse",
        affinityKey: "reuse:a",
        stop: { maxTokens: 4, stop: [], mode: "none" },
      }),
    );
    expect(first.usage.promptTokensReused).toBe(0);
    expect(first.usage.promptTokensEvaluated).toBe(first.usage.promptTokens);
    expect(engine.stats().tokensEvaluated - before).toBe(first.usage.promptTokens);
    const grown = { prefix: fim.prefix + "const typed = 1;\n", suffix: fim.suffix };
    const second = await collect(
      engine,
      makeRequest(grown, {
        tenant: "reuse",
        affinityKey: "reuse:a",
        stop: { maxTokens: 4, stop: [], mode: "none" },
      }),
    );
    expect(second.usage.promptTokensReused).toBeGreaterThan(first.usage.promptTokens - 4);
    expect(second.usage.promptTokensEvaluated).toBe(
      second.usage.promptTokens - second.usage.promptTokensReused,
    );
    expect(second.usage.promptTokensEvaluated).toBeLessThan(20);
    // the cached tokens really are the prompt: same request again evaluates exactly one token
    const third = await collect(
      engine,
      makeRequest(grown, {
        tenant: "reuse",
        affinityKey: "reuse:a",
        stop: { maxTokens: 4, stop: [], mode: "none" },
      }),
    );
    expect(third.usage.promptTokensEvaluated).toBe(1);
    expect(third.text).toBe(second.text);
  });

  it("with budgets.layoutMaxTokens, requests that differ only in maxTokens or speculation share one prompt layout and its KV state", async () => {
    // A long file (the default budgets exceed the 512-token context, so the room left for the
    // prompt decides where prefix and suffix are cut): a 1-token warm-up, then a request for 64
    // tokens, then one for 32 with speculation on.
    // Short lines, so that a few tokens more or less of room move the suffix's cut.
    const lines = (from: number) => Array.from({ length: 400 }, (_, i) => `  total += item${from + i};\n`).join("");
    const long = { prefix: "function sum() {\n" + lines(0), suffix: lines(400) + "}\n" };
    const wide = { prefixTokens: 1024, suffixTokens: 256, extraTokens: 0 };
    const withEngine = async <T>(layoutMaxTokens: number | undefined, use: (e: LlamaCppEngine) => Promise<T>): Promise<T> => {
      const e = await createLlamaCppEngine({
        ...base,
        modelPath: TARGET,
        budgets: { ...wide, ...(layoutMaxTokens !== undefined ? { layoutMaxTokens } : {}) },
      });
      try {
        return await use(e);
      } finally {
        await e.close();
      }
    };
    const req = (maxTokens: number, spec = false, doc = "a") =>
      makeRequest(long, { tenant: "layout", affinityKey: `layout:${doc}`, stop: { maxTokens, stop: [], mode: "none" }, speculative: { enabled: spec } });
    const run = (layoutMaxTokens: number | undefined) =>
      withEngine(layoutMaxTokens, async (e) => {
        const warm = await collect(e, req(1));
        const typed = await collect(e, req(64));
        const spec = await collect(e, req(32, true));
        return { warm, typed, spec };
      });
    const stable = await run(64);
    expect(stable.warm.usage.truncated).toBe(true);
    expect(stable.typed.usage.promptTokens).toBe(stable.warm.usage.promptTokens);
    expect(stable.typed.usage.promptTokensEvaluated).toBeLessThanOrEqual(2);
    expect(stable.spec.usage.promptTokens).toBe(stable.warm.usage.promptTokens);
    expect(stable.spec.usage.promptTokensEvaluated).toBeLessThanOrEqual(2);
    // without it each maxTokens lays the prompt out anew, and the SPM prompt's start (the
    // suffix) moves: the 64-token request evaluates most of its prompt again
    const loose = await run(undefined);
    expect(loose.typed.usage.promptTokens).not.toBe(loose.warm.usage.promptTokens);
    expect(loose.typed.usage.promptTokensEvaluated).toBeGreaterThan(loose.typed.usage.promptTokens / 2);
    // a request for more than the layout's maxTokens still gets the room it needs
    const big = await withEngine(64, (e) => collect(e, req(200, false, "b")));
    expect(big.usage.promptTokens).toBeLessThanOrEqual(512 - 201);
  });

  it("stops at a stop string, in line mode and at maxTokens", async () => {
    const { task: long } = await taskWithLongOutput(engine, repoFimTasks(60), 6);
    const fim = { prefix: long.prefix, suffix: long.suffix };
    const full = await collect(engine, makeRequest(fim, { stop: { maxTokens: 24, stop: [], mode: "none" } }));
    expect(full.text.length).toBeGreaterThan(4);
    const stopStr = full.text.slice(2, 4);
    const cut = full.text.indexOf(stopStr);
    const stopped = await collect(
      engine,
      makeRequest(fim, { stop: { maxTokens: 24, stop: [stopStr], mode: "none" } }),
    );
    expect(stopped.stopReason).toBe("stop_string");
    expect(stopped.text).toBe(full.text.slice(0, cut));
    const line = await collect(engine, makeRequest(fim, { stop: { maxTokens: 24, stop: [], mode: "line" } }));
    expect(line.text).not.toContain("\n");
    expect(full.text.startsWith(line.text)).toBe(true);
    const short = await collect(engine, makeRequest(fim, { stop: { maxTokens: 3, stop: [], mode: "none" } }));
    expect(short.usage.completionTokens).toBeLessThanOrEqual(3);
    if (short.stopReason !== "eos") expect(short.stopReason).toBe("max_tokens");
  });

  it("after the deadline, stops at the next line end with stopReason deadline", async () => {
    const full = await collect(engine, makeRequest(fim, { stop: { maxTokens: 40, stop: [], mode: "none" } }));
    const late = await collect(
      engine,
      makeRequest(fim, { stop: { maxTokens: 40, stop: [], mode: "none" }, deadline: Date.now() - 1 }),
    );
    const nl = full.text.indexOf("\n");
    if (nl >= 0) {
      expect(late.stopReason).toBe("deadline");
      expect(late.text).toBe(full.text.slice(0, nl));
    } else {
      expect(late.text).toBe(full.text);
      expect(late.stopReason).toBe(full.stopReason);
    }
  });

  it("cancels before start without evaluating anything", async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await collect(engine, makeRequest(fim, { tenant: "c0", affinityKey: "c0:a" }), {
      signal: ac.signal,
    });
    expect(r.stopReason).toBe("cancelled");
    expect(r.usage.promptTokensEvaluated).toBe(0);
    expect(r.usage.completionTokens).toBe(0);
  });

  it("cancels mid-prefill after the first chunk", async () => {
    const ac = new AbortController();
    chunkHook = () => ac.abort();
    try {
      const r = await collect(engine, makeRequest(fim, { tenant: "c1", affinityKey: "c1:a" }), {
        signal: ac.signal,
      });
      expect(r.stopReason).toBe("cancelled");
      expect(r.usage.promptTokensEvaluated).toBe(16);
      expect(r.usage.promptTokensEvaluated).toBeLessThan(r.usage.promptTokens);
      expect(r.usage.completionTokens).toBe(0);
    } finally {
      chunkHook = undefined;
    }
  });

  it("cancels mid-stream and ends with a done event", async () => {
    const ac = new AbortController();
    const r = await collect(
      engine,
      makeRequest(fim, {
        tenant: "c2",
        affinityKey: "c2:a",
        stop: { maxTokens: 40, stop: [], mode: "none" },
      }),
      { signal: ac.signal, onDelta: () => ac.abort() },
    );
    expect(r.stopReason).toBe("cancelled");
    expect(r.deltas.length).toBe(1);
    expect(r.usage.completionTokens).toBeLessThan(40);
  });

  it("never reuses another tenant's KV state", async () => {
    const p = { prefix: fim.prefix + "// tenant test\n", suffix: fim.suffix };
    const a = await collect(engine, makeRequest(p, { tenant: "ta", affinityKey: "ta:x" }));
    expect(a.usage.promptTokensReused).toBe(0);
    const b = await collect(engine, makeRequest(p, { tenant: "tb", affinityKey: "ta:x" }));
    expect(b.usage.promptTokensReused).toBe(0);
    const b2 = await collect(engine, makeRequest(p, { tenant: "tb", affinityKey: "tb:x" }));
    expect(b2.usage.promptTokensReused).toBe(b2.usage.promptTokens - 1);
    // both slots now hold this exact prompt, for ta and tb: a third tenant must start from scratch
    const c = await collect(engine, makeRequest(p, { tenant: "tc", affinityKey: "tc:x" }));
    expect(c.usage.promptTokensReused).toBe(0);
    expect(c.text).toBe(a.text);
  });

  it("serves concurrent requests on different sequences with the same results as serial ones", async () => {
    const r1 = makeRequest(fim, {
      tenant: "cc",
      affinityKey: "cc:1",
      stop: { maxTokens: 8, stop: [], mode: "none" },
    });
    const r2 = makeRequest(
      { prefix: fim.prefix.slice(50), suffix: "" },
      { tenant: "cc", affinityKey: "cc:2", stop: { maxTokens: 8, stop: [], mode: "none" } },
    );
    const [a, b] = await Promise.all([collect(engine, r1), collect(engine, r2)]);
    expect((await collect(engine, r1)).text).toBe(a.text);
    expect((await collect(engine, r2)).text).toBe(b.text);
  });

  it("reuses native samplers across passes (node-llama-cpp builds one per pass), also for concurrent seeded sampling", async () => {
    const sampled = (key: string, seed: number) =>
      makeRequest(fim, {
        tenant: "pool",
        affinityKey: `pool:${key}`,
        sampling: { temperature: 0.9, topK: 0, topP: 1, seed },
        stop: { maxTokens: 12, stop: [], mode: "none" },
      });
    const before = samplerPoolStats();
    const [a, b] = await Promise.all([collect(engine, sampled("a", 7)), collect(engine, sampled("b", 8))]);
    const after = samplerPoolStats();
    const passes = a.usage.completionTokens + b.usage.completionTokens;
    expect(passes).toBeGreaterThan(4);
    // one sampler per pass without the pool; with it, at most one per concurrently running pass
    expect(after.created - before.created).toBeLessThanOrEqual(2);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(passes - 2);
    // a reused sampler carries nothing over: the same seeds give the same text, run alone
    expect((await collect(engine, sampled("a", 7))).text).toBe(a.text);
    expect((await collect(engine, sampled("b", 8))).text).toBe(b.text);
  });
});
