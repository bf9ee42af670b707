import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DraftSourceName, EngineRequest } from "../../src/core/types.js";
import type { LlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";
import { collect, createOneSlotEngine, makeRequest, repoFimTasks, taskWithLongOutput } from "./helpers.js";

// One sequence: every request runs on slot 0, so its KV state can be compared after each run.
let engine: LlamaCppEngine;
beforeAll(async () => {
  engine = await createOneSlotEngine();
});
afterAll(async () => {
  await engine?.close();
});

const tasks = repoFimTasks(20, 500, 160);
const MAX = 20;
const SOURCES: { name: string; sources: DraftSourceName[] }[] = [
  { name: "draft-model", sources: ["draft-model"] },
  { name: "ngram", sources: ["ngram"] },
  { name: "client", sources: ["client"] },
  { name: "all", sources: ["client", "ngram", "draft-model"] },
];

/** A client draft that agrees with the plain output for a while, then diverges. */
const totals = new Map<string, { proposed: number; accepted: number }>();
const corrupt = (text: string) =>
  text.length > 6
    ? text.slice(0, Math.floor(text.length / 2)) + "#@!" + text.slice(Math.floor(text.length / 2))
    : text + "x";

describe("speculative decoding (greedy identity)", () => {
  it("has at least 20 distinct repo prompts", () => {
    expect(new Set(tasks.map((t) => t.name)).size).toBeGreaterThanOrEqual(20);
  });

  for (const [ti, task] of tasks.entries()) {
    it(`task ${ti} ${task.name}: every source yields the plain greedy output and the same KV state`, async () => {
      const fim = { prefix: task.prefix, suffix: task.suffix };
      const req = (over: Partial<EngineRequest>) =>
        makeRequest(fim, {
          tenant: "spec",
          affinityKey: "spec:doc",
          stop: { maxTokens: MAX, stop: [], mode: "none" },
          ...over,
        });
      const plain = await collect(engine, req({}));
      const plainKv = engine.sequenceTokens(0);
      for (const { name, sources } of SOURCES) {
        for (const k of [3, undefined]) {
          const spec = await collect(
            engine,
            req({
              speculative: { enabled: true, sources, ...(k ? { k } : {}), maxK: 6 },
              clientDraft: corrupt(plain.text),
            }),
          );
          expect(spec.text, `${name} k=${k}`).toBe(plain.text);
          expect(spec.usage.completionTokens, `${name} k=${k}`).toBe(plain.usage.completionTokens);
          expect(spec.stopReason).toBe(plain.stopReason);
          expect(engine.sequenceTokens(0), `${name} k=${k} KV`).toEqual(plainKv);
          const s = spec.usage.speculative!;
          expect(s.targetPasses).toBeLessThanOrEqual(spec.usage.completionTokens);
          // The first pass is always plain (first token first), so drafts need a second pass: a
          // completion of more than one token, and for the client source a corrupted draft that
          // still agrees with the output past its first token.
          const firstToken = engine.detokenize(engine.tokenize(plain.text).slice(0, 1));
          const draftUseful = name !== "client" && name !== "all" ? true : Math.floor(plain.text.length / 2) > firstToken.length;
          if (k && name !== "ngram" && plain.usage.completionTokens > 1 && draftUseful)
            expect(s.proposed[sources[0]!] ?? 0, `${name} proposed`).toBeGreaterThan(0);
          const proposed = Object.values(s.proposed).reduce((a, b) => a + (b ?? 0), 0);
          const accepted = Object.values(s.accepted).reduce((a, b) => a + (b ?? 0), 0);
          const t = totals.get(name) ?? { proposed: 0, accepted: 0 };
          totals.set(name, { proposed: t.proposed + proposed, accepted: t.accepted + accepted });
          expect(s.proposedByPosition.reduce((a, b) => a + b, 0)).toBe(proposed);
        }
      }
    });
  }

  it("the identity runs exercised both acceptance and rollback (client drafts agree, then diverge)", () => {
    const c = totals.get("client")!;
    expect(c.accepted).toBeGreaterThan(0);
    expect(c.accepted).toBeLessThan(c.proposed);
    for (const name of ["draft-model", "ngram", "all"])
      expect(totals.get(name)!.proposed, name).toBeGreaterThan(0);
  });

  it("replaying the target's own output as client draft accepts (nearly) everything", async () => {
    const { task, plain } = await taskWithLongOutput(engine, tasks, 6, MAX);
    const fim = { prefix: task.prefix, suffix: task.suffix };
    const spec = await collect(
      engine,
      makeRequest(fim, {
        stop: { maxTokens: MAX, stop: [], mode: "none" },
        speculative: { enabled: true, sources: ["client"], k: 8 },
        clientDraft: plain.text,
      }),
    );
    expect(spec.text).toBe(plain.text);
    const s = spec.usage.speculative!;
    expect(s.targetPasses).toBeLessThan(plain.usage.completionTokens);
    expect(s.tokensPerPass).toBeGreaterThan(1);
  });
});

describe("speculative decoding (sampling and cancellation)", () => {
  // The first pass of a speculative request is always plain (drafts start at pass 2): this checks
  // that a speculative request's drawn first token (its own seed path) matches plain sampling; the
  // verify passes are covered by the two-token tests below.
  it("sampled first tokens of speculative requests follow the same distribution as plain sampling (chi-square)", async () => {
    const fim = { prefix: tasks[1]!.prefix, suffix: tasks[1]!.suffix };
    const greedy = await collect(
      engine,
      makeRequest(fim, { stop: { maxTokens: 4, stop: [], mode: "none" } }),
    );
    const N = 150;
    const firstOf = async (seed: number, spec: boolean) => {
      const r = await collect(
        engine,
        makeRequest(fim, {
          sampling: { temperature: 1, topK: 3, topP: 1, seed },
          stop: { maxTokens: 1, stop: [], mode: "none" },
          speculative: spec ? { enabled: true, sources: ["client"], k: 2 } : { enabled: false },
          clientDraft: greedy.text,
        }),
      );
      return r.text;
    };
    const plainCounts = new Map<string, number>();
    const specCounts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const a = await firstOf(1000 + i, false);
      plainCounts.set(a, (plainCounts.get(a) ?? 0) + 1);
      const b = await firstOf(5000 + i, true);
      specCounts.set(b, (specCounts.get(b) ?? 0) + 1);
    }
    // two-sample chi-square over the categories seen (top-k 3 → at most 3 categories, df ≤ 2)
    const cats = new Set([...plainCounts.keys(), ...specCounts.keys()]);
    expect(cats.size).toBeLessThanOrEqual(3);
    let chi = 0;
    for (const c of cats) {
      const a = plainCounts.get(c) ?? 0;
      const b = specCounts.get(c) ?? 0;
      chi += (a - b) ** 2 / (a + b);
    }
    expect(chi).toBeLessThan(13.82); // df 2, significance 0.001
  });

  // The first token comes from the (always plain) first pass; the second from a verify pass over
  // point-mass drafts, where llama.cpp draws the target's token at each position and the drafts are
  // accepted while they match: client and n-gram drafts, and the draft model's greedy proposals
  // (top-k 0: no maps). Two-sample chi-square over the 2-token texts, rare ones pooled.
  const VERIFY_CASES: { name: string; sources: DraftSourceName[]; topK: number; temperature: number }[] = [
    { name: "client and n-gram drafts, top-k 3", sources: ["client", "ngram"], topK: 3, temperature: 1 },
    { name: "the draft model's greedy proposals, top-k off", sources: ["draft-model"], topK: 0, temperature: 0.7 },
  ];
  for (const c of VERIFY_CASES)
    it(`sampled two-token completions verified against ${c.name} follow plain sampling's distribution (chi-square)`, async () => {
      const { task, plain: greedy } = await taskWithLongOutput(engine, tasks, 6, 6);
      const fim = { prefix: task.prefix, suffix: task.suffix };
      const N = 200;
      const run = (seed: number, spec: boolean) =>
        collect(
          engine,
          makeRequest(fim, {
            sampling: { temperature: c.temperature, topK: c.topK, topP: 1, seed },
            stop: { maxTokens: 2, stop: [], mode: "none" },
            speculative: spec ? { enabled: true, sources: c.sources, k: 3 } : { enabled: false },
            clientDraft: greedy.text,
          }),
        );
      const plain = new Map<string, number>();
      const spec = new Map<string, number>();
      let verified = 0;
      for (let i = 0; i < N; i++) {
        const a = await run(2000 + i, false);
        plain.set(a.text, (plain.get(a.text) ?? 0) + 1);
        const b = await run(9000 + i, true);
        spec.set(b.text, (spec.get(b.text) ?? 0) + 1);
        verified += Object.values(b.usage.speculative?.proposed ?? {}).reduce((x, y) => x + y, 0);
      }
      expect(verified, "no draft was verified: the test would compare plain with plain").toBeGreaterThan(N / 4);
      const cats = [...new Set([...plain.keys(), ...spec.keys()])];
      const big = cats.filter((k) => (plain.get(k) ?? 0) + (spec.get(k) ?? 0) >= 10);
      const rows = big.map((k) => [plain.get(k) ?? 0, spec.get(k) ?? 0] as const);
      const rest = [N - rows.reduce((s, r) => s + r[0], 0), N - rows.reduce((s, r) => s + r[1], 0)] as const;
      if (rest[0] + rest[1] > 0) rows.push(rest);
      expect(rows.length).toBeGreaterThan(1);
      const chi = rows.reduce((s, [a, b]) => s + (a - b) ** 2 / (a + b), 0);
      const critical = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59, 31.26, 32.91]; // p = 0.001, df 1..12
      expect(rows.length - 1).toBeLessThanOrEqual(critical.length);
      expect(chi).toBeLessThan(critical[rows.length - 2]!);
    });

  it("with a seed, sampled output is reproducible and the same with or without speculation; without one, a stochastic draft model (q from the draft) runs", async () => {
    let compared = 0;
    for (const task of tasks.slice(0, 4)) {
      const fim = { prefix: task.prefix, suffix: task.suffix };
      const sampled = (spec: EngineRequest["speculative"], seed: number | undefined) =>
        collect(
          engine,
          makeRequest(fim, {
            sampling: { temperature: 0.9, topK: 20, topP: 0.95, ...(seed !== undefined ? { seed } : {}) },
            stop: { maxTokens: 12, stop: [], mode: "none" },
            speculative: spec,
            clientDraft: "const x = 1;\n",
          }),
        );
      const a = await sampled({ enabled: false }, 42);
      const b = await sampled({ enabled: false }, 42);
      expect(b.text, task.name).toBe(a.text);
      for (const sources of [["draft-model"], ["client", "ngram", "draft-model"]] as DraftSourceName[][]) {
        // a fixed k: the adaptive controller may choose no drafts at all on a loaded machine
        const d = await sampled({ enabled: true, sources, k: 3, maxK: 4 }, 42);
        expect(d.text, `${task.name} ${sources.join("+")}`).toBe(a.text);
        compared += Object.values(d.usage.speculative?.proposed ?? {}).reduce((x, y) => x + y, 0);
      }
    }
    expect(compared, "no draft was verified").toBeGreaterThan(0);
    // no seed: the draft model samples its proposals and the rejection acceptor verifies them
    const fim = { prefix: tasks[3]!.prefix, suffix: tasks[3]!.suffix };
    const u = await sampled2(fim);
    expect(u.usage.speculative!.proposed["draft-model"]).toBeGreaterThan(0);
    expect(["cancelled", "error"]).not.toContain(u.stopReason);
  });
  const sampled2 = (fim: { prefix: string; suffix: string }) =>
    collect(
      engine,
      makeRequest(fim, {
        sampling: { temperature: 0.9, topK: 20, topP: 0.95 },
        stop: { maxTokens: 12, stop: [], mode: "none" },
        speculative: { enabled: true, sources: ["draft-model"], k: 3 },
      }),
    );

  it("cancels mid-speculation with a done event and leaves the engine usable", async () => {
    // a task whose plain greedy completion is long enough that an abort after the first delta
    // (at most one verify pass: K + 1 tokens) lands mid-generation, whatever the shipped weights
    let fim: { prefix: string; suffix: string } | undefined;
    for (const t of tasks) {
      const plain = await collect(engine, makeRequest({ prefix: t.prefix, suffix: t.suffix }, { stop: { maxTokens: 40, stop: [], mode: "none" }, speculative: { enabled: false } }));
      if (plain.usage.completionTokens >= 16) {
        fim = { prefix: t.prefix, suffix: t.suffix };
        break;
      }
    }
    expect(fim, "no repo task with a completion of 16+ tokens").toBeDefined();
    const ac = new AbortController();
    const r = await collect(
      engine,
      makeRequest(fim!, {
        stop: { maxTokens: 40, stop: [], mode: "none" },
        speculative: { enabled: true, sources: ["draft-model", "ngram"], k: 4 },
      }),
      { signal: ac.signal, onDelta: () => ac.abort() },
    );
    expect(r.stopReason).toBe("cancelled");
    expect(r.deltas.length).toBe(1);
    expect(r.usage.completionTokens).toBeLessThan(16);
    const after = await collect(engine, makeRequest(fim!, { stop: { maxTokens: 4, stop: [], mode: "none" } }));
    expect(["cancelled", "error"]).not.toContain(after.stopReason);
  });
});
