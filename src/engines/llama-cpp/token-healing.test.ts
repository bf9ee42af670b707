import type { LlamaModel } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { createHealStrip, HEAL_BOOST, healingBias, healSplit, MAX_HEAL_TOKENS, VocabularyPieces } from "./token-healing.js";

// healingBias only hands the model's tokenizer to TokenBias
const model = { tokenizer: {} } as unknown as LlamaModel;
const biases = (b: unknown) => [...(b as { _biases: Map<number, number> })._biases].sort((x, y) => x[0] - y[0]);

describe("healingBias (token healing's constraint)", () => {
  const pieces = ["", "re", "request", "r", "x", "", "return", " re", "rest", "ab"];
  const vocab = new VocabularyPieces(pieces);

  it("finds the entries that start with a text as a scan of the whole vocabulary would", () => {
    for (const text of ["r", "re", "ret", "res", "x", "q", " ", " r", "ab", "abc"]) {
      const scan = pieces.flatMap((p, t) => (p.startsWith(text) ? [t] : []));
      expect(vocab.startingWith(text)).toEqual(scan);
    }
  });

  it("boosts the allowed entries when they are the smaller set, and masks the others otherwise", () => {
    // "re" starts 4 of 10 entries: boost form; special entries ("") are never allowed
    expect(biases(healingBias(model, vocab, "re"))).toEqual([1, 2, 6, 8].map((t) => [t, HEAL_BOOST]));
    // the mask form on request: -Infinity on the other 6, end-of-generation (empty) entries included
    expect(biases(healingBias(model, vocab, "re", "mask"))).toEqual([0, 3, 4, 5, 7, 9].map((t) => [t, -Infinity]));
    // "r" starts 5 of 10 entries: still the boost form (at most half)
    expect(biases(healingBias(model, vocab, "r"))).toHaveLength(5);
    const rVocab = new VocabularyPieces(["r", "ra", "rb", "x", ""]);
    // 3 of 5 start with "r": the mask form is smaller
    expect(biases(healingBias(model, rVocab, "r"))).toEqual([3, 4].map((t) => [t, -Infinity]));
    expect(healingBias(model, vocab, "zz")).toBeNull();
  });
});

describe("healSplit (which typed tokens token healing drops)", () => {
  // a toy vocabulary: token id → text
  const vocab = ["is", "Point", "L", "i", "Light", "ret", "return", "x", " =", " ", "Li", "a", "b", "c", "d", "e"];
  const detok = (ts: readonly number[]) => ts.map((t) => vocab[t]).join("");
  const healable = (text: string) => vocab.some((p) => p.startsWith(text));

  it("heals the most tokens whose text a vocabulary entry starts with", () => {
    // is Point L i: "PointLi" starts no entry, "Li" does (Light, Li)
    expect(healSplit([0, 1, 2, 3], "isPointLi", detok, healable)).toEqual({ count: 2, text: "Li" });
    // one typed token: healed whole, the prompt ends at the middle marker
    expect(healSplit([5], "ret", detok, healable)).toEqual({ count: 1, text: "ret" });
    // x = : " =" starts an entry, "x =" does not
    expect(healSplit([7, 8], "x =", detok, healable)).toEqual({ count: 1, text: " =" });
  });

  it("never heals more than MAX_HEAL_TOKENS, and nothing when no entry fits or the text does not round-trip", () => {
    const all = (t: string) => t.length > 0;
    expect(healSplit([11, 12, 13, 14, 15], "abcde", detok, all)).toEqual({ count: MAX_HEAL_TOKENS, text: "bcde" });
    expect(healSplit([11, 12], "ab", detok, () => false)).toBeUndefined();
    // the kept tokens do not give the typed text's start back: not healed at that count
    expect(healSplit([11, 12], "Xb", detok, all)).toEqual({ count: 2, text: "Xb" });
    expect(healSplit([], "", detok, all)).toBeUndefined();
  });
});

describe("createHealStrip (token healing)", () => {
  it("cuts the healed text from the start of the stream, across pieces", () => {
    const strip = createHealStrip("re");
    expect(["request", ".limit"].map(strip)).toEqual(["quest", ".limit"]);
    const split = createHealStrip("abc");
    expect(["a", "", "bcd", "ef"].map(split)).toEqual(["", "", "d", "ef"]);
    const exact = createHealStrip("foo");
    expect(["foo", "(x)"].map(exact)).toEqual(["", "(x)"]);
  });

  it("passes a piece through when it does not continue the healed text (never under the constraint)", () => {
    const strip = createHealStrip("xy");
    expect(["ab", "xy"].map(strip)).toEqual(["ab", "xy"]);
  });
});
