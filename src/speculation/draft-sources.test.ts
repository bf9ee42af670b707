import { describe, expect, it } from "vitest";
import { AdaptiveK, CostModel } from "./adaptive-k.js";
import { createClientSource } from "./client-source.js";
import { createNgramSource } from "./ngram-source.js";

describe("ngram source", () => {
  it("proposes what followed the most recent earlier occurrence of the longest matching n-gram", async () => {
    const s = createNgramSource({ maxN: 3 });
    // ... 1 2 3 4 5 ... 9 1 2 3 → propose 4 5
    const h = [1, 2, 3, 4, 5, 6, 9, 1, 2, 3];
    expect((await s.propose(h, 2, {})).tokens).toEqual([4, 5]);
    expect((await s.propose(h, 10, {})).tokens).toEqual([4, 5, 6, 9, 1, 2, 3]);
  });
  it("prefers the longer n-gram over a more recent shorter one", async () => {
    const s = createNgramSource({ maxN: 2 });
    const h = [7, 8, 1, 3, 5, 8, 2, 7, 8];
    expect((await s.propose(h, 1, {})).tokens).toEqual([1]);
  });
  it("proposes nothing without a match, and follows a growing history", async () => {
    const s = createNgramSource();
    const h = [1, 2, 3];
    expect((await s.propose(h, 4, {})).tokens).toEqual([]);
    h.push(1);
    expect((await s.propose(h, 4, {})).tokens).toEqual([2, 3, 1]);
  });
});

describe("client source", () => {
  const tok = {
    tokenize: (t: string) => [...t].map((c) => c.charCodeAt(0)),
    detokenize: (ts: readonly number[]) => String.fromCharCode(...ts),
  };
  it("proposes the draft's continuation after the generated tokens", async () => {
    const s = createClientSource("abcdef", 2, tok);
    expect((await s.propose([0, 0], 3, {})).tokens).toEqual(tok.tokenize("abc"));
    expect((await s.propose([0, 0, 97, 98], 3, {})).tokens).toEqual(tok.tokenize("cde"));
  });
  it("proposes nothing once the generation diverged from the draft", async () => {
    const s = createClientSource("abcdef", 1, tok);
    expect((await s.propose([0, 97, 120], 3, {})).tokens).toEqual([]);
  });
  it("re-tokenizes the remainder when generation took a different tokenization of the same text", async () => {
    const pair = {
      tokenize: (t: string) => (t === "abcd" ? [1, 2] : [...t].map((c) => c.charCodeAt(0))),
      detokenize: (ts: readonly number[]) =>
        ts.map((x) => (x === 1 ? "ab" : x === 2 ? "cd" : String.fromCharCode(x))).join(""),
    };
    const s = createClientSource("abcd", 0, pair);
    expect((await s.propose([97], 4, {})).tokens).toEqual(pair.tokenize("bcd"));
  });
});

describe("AdaptiveK", () => {
  it("falls back to plain decoding when acceptance is low and drafts long when it is high", () => {
    const c = new AdaptiveK({ maxK: 8 });
    for (let i = 0; i < 60; i++) c.observe("ngram", 4, 0);
    expect(c.choose({ ngram: 8 }).k).toBe(0);
    for (let i = 0; i < 60; i++) c.observe("client", 8, 8);
    const pick = c.choose({ ngram: 8, client: 8 });
    expect(pick.source).toBe("client");
    expect(pick.k).toBeGreaterThanOrEqual(4);
  });
  it("uses the measured cost of a pass per position count, not a straight line", () => {
    // CPU-like curve (a 0.5 B model, measured): 2 positions cost 1.5 single passes, 9 cost 2.8.
    const costs = new CostModel();
    for (let i = 0; i < 20; i++) {
      costs.observe(1, 68);
      costs.observe(2, 103);
    }
    for (let i = 0; i < 20; i++) {
      costs.observe(1, 68);
      costs.observe(9, 190);
    }
    // the line through the latest slope prices 2 positions at 68 + 122 / 8 ≈ 83 ms; measured 103
    expect(costs.c).toBeCloseTo((190 - 68) / 8, 0);
    expect(costs.passCost(2)).toBeCloseTo(103, 0);
    expect(costs.passCost(5)).toBeCloseTo(68 + 4 * costs.c, 5); // not measured: the line
    // n-gram at its prior acceptance 0.4: 1.4 tokens for 103 ms lose to 1 token for 68 ms
    // (priced by the line, 1.4 / 83 ms, it would draft)
    const c = new AdaptiveK({ maxK: 1, costs });
    expect(c.acceptance("ngram", 0)).toBe(0.4);
    expect(c.choose({ ngram: 1 }).k).toBe(0);
  });

  it("a new request starts from the acceptance the engine has seen, not the fixed prior", () => {
    const costs = new CostModel();
    const first = new AdaptiveK({ maxK: 8, costs });
    expect(first.acceptance("ngram", 0)).toBe(0.4); // the prior, before anything was seen
    for (let i = 0; i < 100; i++) first.observe("ngram", 4, 0);
    const next = new AdaptiveK({ maxK: 8, costs });
    expect(next.acceptance("ngram", 0)).toBeLessThan(0.05);
    expect(next.acceptance("draft-model", 0)).toBe(0.5); // other sources keep their prior
  });

  it("a slow first pass does not price drafts out for good: until a multi-position pass is seen, c follows t1", () => {
    const costs = new CostModel();
    costs.observe(1, 300); // the process's first pass: cold caches
    for (let i = 0; i < 40; i++) costs.observe(1, 60);
    expect(costs.t1).toBeCloseTo(60, 0);
    expect(costs.c).toBeCloseTo(0.35 * costs.t1, 5); // not 0.35 × 300, which no draft could pay for
    const c = new AdaptiveK({ maxK: 8, costs });
    for (let i = 0; i < 20; i++) c.observe("client", 8, 8);
    expect(c.choose({ client: 8 }).k).toBeGreaterThan(0);
  });
  it("prices a draft model's catch-up: far behind the history it does not draft, in step it does", () => {
    const costs = new CostModel();
    for (let i = 0; i < 20; i++) {
      costs.observe(1, 2);
      costs.observe(3, 2.4, 2, 1); // a 3-position pass, two drafted tokens at 0.5 ms each
      costs.observe(3, 2.4, 2, 31, 300); // a first use: 300 prompt tokens caught up (~0.1 ms each)
      costs.observeAcceptance("draft-model", 4, 4);
    }
    expect(costs.td).toBeCloseTo(0.5, 5);
    expect(costs.ts).toBeCloseTo(0.1, 5);
    const c = new AdaptiveK({ maxK: 4, costs });
    expect(c.choose({ "draft-model": 100 }, { "draft-model": 2 }).source).toBe("draft-model");
    expect(c.choose({ "draft-model": 100 }, { "draft-model": 300 }).k).toBe(0);
  });
  it("uses the fixed K when one is given", () => {
    const c = new AdaptiveK({ maxK: 8, fixedK: 3 });
    for (let i = 0; i < 60; i++) c.observe("ngram", 3, 0);
    expect(c.choose({ ngram: 8 })).toEqual({ source: "ngram", k: 3 });
    expect(c.choose({ ngram: 2 })).toEqual({ source: "ngram", k: 2 });
  });
});
