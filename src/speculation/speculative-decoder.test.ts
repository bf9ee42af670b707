import { describe, expect, it } from "vitest";
import { CostModel } from "./adaptive-k.js";
import type { DraftSource } from "./draft-source.js";
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
});
