import { describe, expect, it } from "vitest";
import { mulberry32 } from "../core/random.js";
import { chooseSplitRule, createJoinedTokenizer, splitAtIndentation } from "./split-tokenizer.js";
import { splitLinesKeep } from "./truncate.js";

/** A regex tokenizer: each match is a token (id = a stable number per distinct piece). */
function regexTokenizer(re: RegExp): (t: string) => number[] {
  const ids = new Map<string, number>();
  return (t) => Array.from(t.matchAll(re), (m) => {
    let id = ids.get(m[0]);
    if (id === undefined) ids.set(m[0], (id = ids.size + 1));
    return id;
  });
}

// "\n" + indentation is one piece (like the shipped SentencePiece model's user-defined pieces)
const indentAware = regexTokenizer(/\n(?: {1,32}|\t{1,8})?|\w+|\s|[^\w\s]/gu);
// GPT-style pre-tokenizer: the last space of an indentation run joins the next word
const gptLike = regexTokenizer(/\s*[\r\n]+|\s+(?!\S)| ?\w+|\s|[^\w\s]/gu);
// merges a newline with the next character: no cut is safe
const merging = regexTokenizer(/\n.|\w+|\s|[^\w\s]/gsu);

function randomCode(rnd: () => number, lines: number): string {
  const words = ["if", "x", "return", "}", "{", "foo(bar);", "'s'", "é", "", "const y = 2;", "#", "\tz"];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const indent = rnd() < 0.2 ? "\t".repeat(Math.floor(rnd() * 4)) : " ".repeat(Math.floor(rnd() * 40));
    const n = Math.floor(rnd() * 4);
    out.push(indent + Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)]).join(rnd() < 0.5 ? " " : ""));
  }
  return out.join("\n") + (rnd() < 0.5 ? "\n" : "");
}

describe("splitAtIndentation", () => {
  it("cuts after a line's indentation when a non-blank character follows, and the chunks join back", () => {
    const lines = splitLinesKeep("a\n  b\n\n    \n\tc\n  d");
    expect(splitAtIndentation(lines, { spaces: 32, tabs: 8 })).toEqual(["a\n  ", "b\n\n    \n\t", "c\n  ", "d"]);
    expect(splitAtIndentation(lines, { spaces: 0, tabs: 8 })).toEqual(["a\n  b\n\n    \n\t", "c\n  d"]);
    const rnd = mulberry32(3);
    for (let i = 0; i < 50; i++) {
      const text = randomCode(rnd, 30);
      expect(splitAtIndentation(splitLinesKeep(text), { spaces: 8, tabs: 2 }).join("")).toBe(text);
    }
  });
});

describe("chooseSplitRule", () => {
  it("finds the widest safe rule by testing the tokenizer, or none", () => {
    expect(chooseSplitRule(indentAware)).toEqual({ spaces: 32, tabs: 8 });
    expect(chooseSplitRule(gptLike)).toEqual({ spaces: 0, tabs: 1 }); // "\t\t" + word: the first tab stands alone
    expect(chooseSplitRule(merging)).toBeUndefined();
  });

  it("with the chosen rule, chunked tokenization equals tokenizing the whole text", () => {
    const rnd = mulberry32(11);
    for (const tok of [indentAware, gptLike]) {
      const rule = chooseSplitRule(tok)!;
      const joined = createJoinedTokenizer(tok, rule);
      for (let i = 0; i < 200; i++) {
        const lines = splitLinesKeep(randomCode(rnd, 1 + Math.floor(rnd() * 25)));
        expect(joined(lines)).toEqual(tok(lines.join("")));
      }
    }
  });
});
