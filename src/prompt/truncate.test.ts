import { describe, expect, it } from "vitest";
import { mulberry32 } from "../core/random.js";
import { keepEndTokens, keepStartTokens, splitLinesKeep, type TokenPiece } from "./truncate.js";

/** The straightforward versions (split every line of the text): the lazy ones must agree with them. */
function refEnd(text: string, budget: number, tokenize: (t: string) => number[], alignLines = 1): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  const lines = splitLinesKeep(text);
  let acc = 0;
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const n = tokenize(lines[i]!).length;
    if (acc + n > budget) break;
    acc += n;
    start = i;
  }
  if (start > 0 && alignLines > 1) {
    const aligned = Math.ceil(start / alignLines) * alignLines;
    if (aligned < lines.length) start = aligned;
  }
  while (start < lines.length) {
    const tokens = tokenize(start === 0 ? text : lines.slice(start).join(""));
    if (tokens.length <= budget) return { tokens, truncated: start > 0 };
    start++;
  }
  const last = lines[lines.length - 1]!;
  const tail = last.length > budget * 32 ? last.slice(last.length - budget * 32) : last;
  const tokens = tokenize(tail);
  return { tokens: tokens.slice(Math.max(0, tokens.length - budget)), truncated: true };
}

function refStart(text: string, budget: number, tokenize: (t: string) => number[]): TokenPiece {
  if (text.length === 0) return { tokens: [], truncated: false };
  if (budget <= 0) return { tokens: [], truncated: true };
  const lines = splitLinesKeep(text);
  let acc = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = tokenize(lines[i]!).length;
    if (acc + n > budget) break;
    acc += n;
    end = i + 1;
  }
  while (end > 0) {
    const tokens = tokenize(end === lines.length ? text : lines.slice(0, end).join(""));
    if (tokens.length <= budget) return { tokens, truncated: end < lines.length };
    end--;
  }
  const first = lines[0]!;
  const head = first.length > budget * 32 ? first.slice(0, budget * 32) : first;
  return { tokens: tokenize(head).slice(0, budget), truncated: true };
}

// words, single whitespace and "\n" + indentation merged: a line's tokens differ from its share of the whole
const tokenize = (t: string): number[] => Array.from(t.matchAll(/\n +|\w+|\s|[^\w\s]/gu), (m) => m[0].length * 1000 + m[0].charCodeAt(0));

describe("keepEndTokens / keepStartTokens", () => {
  it("agree with the split-everything versions on random texts, budgets and alignments", () => {
    const rnd = mulberry32(5);
    const words = ["a", "bb", "ccc d", "  ", "é", "x.y(z)", ""];
    for (let i = 0; i < 600; i++) {
      const n = Math.floor(rnd() * 40);
      const text = Array.from({ length: n }, () => " ".repeat(Math.floor(rnd() * 6)) + words[Math.floor(rnd() * words.length)]!.repeat(1 + Math.floor(rnd() * 4))).join("\n") + (rnd() < 0.3 ? "\n" : "");
      const budget = Math.floor(rnd() * 80) - 2;
      const align = 1 + Math.floor(rnd() * 5);
      expect(keepEndTokens(text, budget, tokenize, align)).toEqual(refEnd(text, budget, tokenize, align));
      expect(keepStartTokens(text, budget, tokenize)).toEqual(refStart(text, budget, tokenize));
    }
  });

  it("look only at the lines near the cut", () => {
    const seen: string[] = [];
    const counting = (t: string): number[] => (seen.push(t), tokenize(t));
    const long = Array.from({ length: 5000 }, (_, i) => `line ${i} of a long file`).join("\n");
    keepEndTokens(long, 60, counting, 16);
    keepStartTokens(long, 60, counting);
    expect(seen.length).toBeLessThan(40);
  });
});
