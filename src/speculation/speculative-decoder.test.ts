import { describe, expect, it } from "vitest";
import { CostModel } from "./adaptive-k.js";
import type { DraftSource } from "./draft-source.js";
import { createRng } from "./sampling.js";
import { emptySpeculativeStats, speculativeDecode } from "./speculative-decoder.js";
import type { TargetEvaluator } from "./target-evaluator.js";

/** A deterministic "model": the token after t is (t + 1) mod 50, computed instantly. */
function fakeTarget(promptLength: number): TargetEvaluator {
  let length = promptLength - 1; // the prompt's last token is pending
  return {
    get length() {
      return length;
    },
    evaluate(tokens, lead = []) {
      length += lead.length + tokens.length;
      return Promise.resolve(tokens.map((x) => ({ token: (x + 1) % 50 })));
    },
    truncate(start) {
      length = start;
      return Promise.resolve();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("speculativeDecode", () => {
  it("prices a draft-model catch-up on the prompt per caught-up token, not per drafted token", async () => {
    // The draft source proposes the right tokens; its first proposal of the request catches up
    // on a 300-token prompt (slow), the later ones on the 1–3 tokens committed since (fast).
    let calls = 0;
    const draft: DraftSource = {
      name: "draft-model",
      cheap: false,
      async propose(history, k) {
        calls++;
        const first = calls === 1;
        if (first) await sleep(60);
        const last = history[history.length - 1]!;
        return { tokens: Array.from({ length: k }, (_, i) => (last + 1 + i) % 50), synced: first ? 299 : 2 };
      },
    };
    const costs = new CostModel();
    for (let i = 0; i < 5; i++) costs.observe(1, 2); // t1 = 2 ms (a target pass)
    for (let i = 0; i < 100; i++) costs.observeAcceptance("draft-model", 4, 4); // the engine has seen it accepted
    const prompt = Array.from({ length: 300 }, (_, i) => i % 50);
    const out: number[] = [];
    const gen = speculativeDecode(
      { target: fakeTarget(prompt.length), prompt, sampling: { temperature: 0, topP: 1, topK: 0 }, rng: Math.random, sources: [draft], maxK: 4, contextSize: 512, costs },
      emptySpeculativeStats(),
    );
    for await (const tokens of gen) {
      out.push(...tokens);
      if (out.length >= 40) break;
    }
    // greedy output is the target's own sequence
    expect(out.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => (prompt[299]! + 1 + i) % 50));
    expect(calls).toBeGreaterThan(2);
    // 60 ms over at most 4 drafted tokens would have priced a draft token at ≥ 15 ms
    expect(costs.td).toBeLessThan(5);
    // …but per caught-up token: ~60 ms / 299
    expect(costs.ts).toBeGreaterThan(0.1);
  });

  it("with a seed, sampled output is plain sampling's whatever drafts are tried, of whatever length, point masses or not", async () => {
    // a sampled "model": the token drawn after x with seed s is x + 1 or x + 2 (mod 50), by s
    const drawn = (x: number, s: number) => (x + 1 + (s % 2)) % 50;
    const sampledTarget = (promptLength: number): TargetEvaluator => {
      let length = promptLength - 1;
      return {
        get length() {
          return length;
        },
        evaluate(tokens, lead = [], seeds) {
          length += lead.length + tokens.length;
          if (!seeds) return Promise.resolve(tokens.map((x) => ({ dist: new Map([[(x + 1) % 50, 0.5], [(x + 2) % 50, 0.5]]) })));
          return Promise.resolve(tokens.map((x, i) => ({ token: drawn(x, seeds[i]!) })));
        },
        truncate(start) {
          length = start;
          return Promise.resolve();
        },
      };
    };
    // drafts of 1–4 tokens guessing x + 1 each time (right about half the time), some with a q
    const pick = createRng(99);
    const guesser = (withQ: boolean): DraftSource => ({
      name: "draft-model",
      cheap: false,
      propose(history, k) {
        const n = 1 + Math.floor(pick() * Math.min(4, k));
        const tokens: number[] = [];
        let last = history[history.length - 1]!;
        for (let i = 0; i < n; i++) tokens.push((last = (last + 1) % 50));
        return Promise.resolve(withQ ? { tokens, dists: tokens.map((t) => new Map([[t, 0.9], [(t + 1) % 50, 0.1]])) } : { tokens });
      },
    });
    const sampling = { temperature: 0.8, topP: 1, topK: 0, seed: 5 };
    const run = async (sources: DraftSource[], seeded: boolean) => {
      const prompt = [3, 4, 5];
      const out: number[] = [];
      const stats = emptySpeculativeStats();
      const gen = speculativeDecode({ target: sampledTarget(prompt.length), prompt, sampling, rng: createRng(5), sources, maxK: 4, k: 4, contextSize: 512, seeded }, stats);
      for await (const tokens of gen) {
        out.push(...tokens);
        if (out.length >= 60) break;
      }
      return { out: out.slice(0, 60), proposed: stats.proposed["draft-model"] ?? 0, accepted: stats.accepted["draft-model"] ?? 0 };
    };
    const plain = await run([], true);
    for (const withQ of [false, true]) {
      const spec = await run([guesser(withQ)], true);
      expect(spec.out).toEqual(plain.out);
      expect(spec.proposed).toBeGreaterThan(20);
      expect(spec.accepted).toBeGreaterThan(0);
      expect(spec.accepted).toBeLessThan(spec.proposed);
    }
    // without a seed, drafts with a q go through the rejection acceptor (its own draws): another text
    const unseeded = await run([guesser(true)], false);
    expect(unseeded.out).not.toEqual(plain.out);
  });

  it("firstDraft: the first pass verifies it; accepted, two tokens come from one pass; rejected, it is erased before the next pass and the output is plain", async () => {
    // evaluations as the target saw them: [lead, tokens, length before]
    const seen: { lead: number[]; tokens: number[]; before: number }[] = [];
    const target = (promptLength: number): TargetEvaluator => {
      const inner = fakeTarget(promptLength);
      return {
        get length() {
          return inner.length;
        },
        evaluate(tokens, lead = [], seeds) {
          seen.push({ lead: [...lead], tokens: [...tokens], before: inner.length });
          return inner.evaluate(tokens, lead, seeds);
        },
        truncate: (start) => inner.truncate(start),
      };
    };
    const run = async (firstDraft: number[] | undefined) => {
      seen.length = 0;
      const prompt = [7, 8, 9, 10];
      const stats = emptySpeculativeStats();
      const steps: number[][] = [];
      // KV state: [7, 8]; 9 is the lead, 10 pending
      const gen = speculativeDecode({ target: target(prompt.length - 1), prompt, lead: [9], sampling: { temperature: 0, topP: 1, topK: 0 }, rng: Math.random, sources: [], maxK: 4, contextSize: 512, ...(firstDraft ? { firstDraft } : {}) }, stats);
      for await (const tokens of gen) {
        steps.push(tokens);
        if (steps.flat().length >= 5) break;
      }
      return { steps, stats, evaluations: seen.map((e) => ({ ...e })) };
    };
    const plain = await run(undefined);
    expect(plain.steps.slice(0, 3)).toEqual([[11], [12], [13]]);
    expect(plain.stats.proposed.heal).toBeUndefined();

    // the right draft (the target's own next token): [11, 12] from the first pass
    const hit = await run([11]);
    expect(hit.steps[0]).toEqual([11, 12]);
    expect(hit.steps.flat().slice(0, 5)).toEqual(plain.steps.flat().slice(0, 5));
    expect(hit.evaluations[0]).toEqual({ lead: [9], tokens: [10, 11], before: 2 });
    expect(hit.stats.proposed.heal).toBe(1);
    expect(hit.stats.accepted.heal).toBe(1);
    expect(hit.stats.targetPasses).toBe(plain.stats.targetPasses - 1);
    // the second pass continues after both: pending 12 at position 5
    expect(hit.evaluations[1]).toEqual({ lead: [], tokens: [12], before: 5 });

    // a wrong draft: the first pass gives 11 alone, the draft's position is erased before pass 2
    const miss = await run([30]);
    expect(miss.steps.flat().slice(0, 5)).toEqual(plain.steps.flat().slice(0, 5));
    expect(miss.steps[0]).toEqual([11]);
    expect(miss.evaluations[0]).toEqual({ lead: [9], tokens: [10, 30], before: 2 });
    expect(miss.evaluations[1]).toEqual({ lead: [], tokens: [11], before: 4 });
    expect(miss.stats.proposed.heal).toBe(1);
    expect(miss.stats.accepted.heal).toBe(0);
    // later passes never carry it again
    expect(miss.evaluations.slice(1).every((e) => !e.tokens.includes(30))).toBe(true);
  });

  it("the healed token is drafted while its measured cost pays: always on a model whose first pass hardly grows with a second position, rarely where it grows by more than the accepted share of a pass", () => {
    // shipped-model-like: steady pass 1 ms, first passes after a pause 2.2 / 2.3 ms
    const cheap = new CostModel();
    cheap.observe(1, 1);
    expect(cheap.shouldDraftHeal()).toBe(true); // not measured yet
    for (let i = 0; i < 20; i++) {
      cheap.observeFirstPass(1, 2.2);
      cheap.observeFirstPass(2, 2.3);
      cheap.observeHeal(i % 2 === 0);
    }
    expect(Array.from({ length: 32 }, () => cheap.shouldDraftHeal()).every(Boolean)).toBe(true);
    // 0.5 B-like on a CPU: steady pass 50 ms, first passes 51 / 84 ms, accepted half the time
    const costly = new CostModel();
    costly.observe(1, 50);
    for (let i = 0; i < 20; i++) {
      costly.observeFirstPass(1, 51);
      costly.observeFirstPass(2, 84);
      costly.observeHeal(i % 2 === 0);
    }
    const drafted = Array.from({ length: 64 }, () => costly.shouldDraftHeal()).filter(Boolean).length;
    expect(drafted).toBe(4); // one in 16 keeps the two-position cost measured
    // accepted nearly always: the saved pass (50 ms × ~0.9) outweighs the extra position again
    for (let i = 0; i < 60; i++) costly.observeHeal(true);
    expect(costly.shouldDraftHeal()).toBe(true);
  });

  it("records first passes without lead tokens by positions, and whether the healed token was accepted, in the cost model", async () => {
    const costs = new CostModel();
    const firstPasses: [number, number][] = [];
    const heals: boolean[] = [];
    costs.observeFirstPass = (positions, ms) => void firstPasses.push([positions, ms]);
    costs.observeHeal = (accepted) => void heals.push(accepted);
    const run = async (firstDraft: number[] | undefined, lead: number[]) => {
      const prompt = [7, 8, 9, 10];
      const gen = speculativeDecode({ target: fakeTarget(prompt.length - lead.length), prompt, lead, ...(firstDraft ? { firstDraft } : {}), sampling: { temperature: 0, topP: 1, topK: 0 }, rng: Math.random, sources: [], maxK: 4, contextSize: 512, costs }, emptySpeculativeStats());
      for (let i = 0; i < 3; i++) await gen.next();
      await gen.return("cancelled");
    };
    await run(undefined, []);
    await run([11], []);
    await run([30], []);
    await run([11], [9]); // a first pass with a lead token: not a comparable pass
    expect(firstPasses.map(([p]) => p)).toEqual([1, 2, 2]);
    expect(firstPasses.every(([, ms]) => ms >= 0)).toBe(true);
    expect(heals).toEqual([true, false, true]);
  });
});
