import { describe, expect, it } from "vitest";
import { mulberry32 } from "../core/random.js";
import { NgramIndex } from "./ngram-index.js";
import { createNgramSource } from "./ngram-source.js";

/** The definition: scan for the most recent earlier occurrence of the last n tokens, longest n first. */
function reference(h: readonly number[], k: number, maxN = 3, minN = 1): number[] {
  const last = h.length - 1;
  if (k <= 0 || last < 1) return [];
  for (let n = Math.min(maxN, last); n >= minN; n--)
    for (let end = last - 1; end >= n - 1; end--) {
      let same = true;
      for (let i = 0; i < n && same; i++) same = h[end - i] === h[last - i];
      if (same) return h.slice(end + 1, Math.min(end + 1 + k, h.length));
    }
  return [];
}

describe("NgramIndex", () => {
  it("agrees with a full scan while one index follows edited histories (truncate to the common prefix, extend)", () => {
    const rand = mulberry32(7);
    const index = new NgramIndex();
    let h: number[] = [];
    let checked = 0;
    for (let round = 0; round < 3_000; round++) {
      const r = rand();
      const vocab = 2 + Math.floor(rand() * 12); // small vocabularies repeat n-grams often
      if (r < 0.5) h.push(Math.floor(rand() * vocab)); // a generated token
      else if (r < 0.8) {
        // a keystroke: the prompt's end changes (keep a prefix, retype a few tokens)
        h = h.slice(0, Math.max(0, h.length - Math.floor(rand() * 6)));
        for (let i = Math.floor(rand() * 4); i > 0; i--) h.push(Math.floor(rand() * vocab));
      } else if (r < 0.95) h = [...h]; // same tokens, another array
      else h = Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * vocab)); // another document
      index.sync(h);
      expect(index.length).toBe(h.length);
      for (const k of [1, 4]) {
        expect(index.propose(k)).toEqual(reference(h, k));
        checked++;
      }
    }
    expect(checked).toBe(6_000);
  });

  it("keeps nothing of an earlier history past the common prefix", () => {
    const index = new NgramIndex();
    index.sync([5, 6, 7, 8, 9, 5, 6]);
    expect(index.propose(3)).toEqual([7, 8, 9]);
    index.sync([5, 6, 1, 2]); // 7, 8, 9 are gone
    expect(index.length).toBe(4);
    expect(index.propose(3)).toEqual([]);
    index.sync([5, 6, 1, 2, 5, 6]);
    expect(index.propose(3)).toEqual([1, 2, 5]);
  });

  it("rejects bad n ranges", () => {
    expect(() => new NgramIndex(2, 3)).toThrow(RangeError);
    expect(() => new NgramIndex(3, 0)).toThrow(RangeError);
  });

  it("a source over a shared index answers like a fresh source", async () => {
    const shared = new NgramIndex();
    const a = [1, 2, 3, 4, 1, 2];
    const b = [1, 2, 3, 9, 9, 1, 2, 3];
    for (const h of [a, b, a]) {
      const fromShared = await createNgramSource({ index: shared }).propose(h, 4, {});
      const fresh = await createNgramSource().propose(h, 4, {});
      expect(fromShared.tokens).toEqual(fresh.tokens);
      expect(fromShared.tokens).toEqual(reference(h, 4));
    }
  });
});
