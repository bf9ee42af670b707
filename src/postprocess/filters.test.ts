import { describe, expect, it } from "vitest";
import { splitAtCursor } from "../prompt/cursor.js";
import { codeMask, trimCursorLineOverlap } from "./cursor-line-overlap.js";
import { inlineRepetitionRule, repetitionRule } from "./repetition-stop.js";
import type { StopRule } from "./types.js";

describe("trimCursorLineOverlap", () => {
  it.each([
    ["drops a closer the suffix has", "print(█)", "x)", "x"],
    ["drops several", "f([█])", "1, 2])", "1, 2"],
    ["drops only the part the suffix has", "f([█)", "1, 2])", "1, 2]"],
    ["keeps closers matched inside the text", "x = █)", "g(1)", "g(1)"],
    ["keeps a call's own closer even though the suffix starts with one", "bar(█)\n", "foo(a, b)", "foo(a, b)"],
    ["nested: outer from prefix", "f(█)", "g(x))", "g(x)"],
    ["keeps when the suffix lacks them", "print(█\n", "x)", "x)"],
    ["spaces before the suffix closer", "f(█  )", "a)", "a"],
    ["no trailing closer", "f(█)", "a", "a"],
    ["closer and semicolon re-typed", "foo(█);", "a, b);", "a, b"],
    ["long overlap mid-line", "call(█alpha, beta)", "alpha, beta", ""],
    ["short word overlap is kept", "a = █1 + 2", "1", "1"],
    ["short overlap to the line end is trimmed", "let y = █x\nfoo", "x", ""],
    ["trailing whitespace of a kept line stays", "f(█)", "abc  ", "abc  "],
    ["cursor at the line end: nothing to compare", "x = █\ny", "1)", "1)"],
    ["a bracket inside a string is not an opener", 'log(█)', 'f("(")', 'f("(")'],
    ["a closer inside a string does not close the call", 'log(█)', 'g(")")', 'g(")")'],
    ["the cursor inside a string on the prefix side", 'log("a(█")', 'b")', "b"],
    ["a re-typed closing quote", 'x = "█" + y', 'abc"', "abc"],
    ["a bracket in a // comment does not count", "f(█)", "x // (", "x // ("],
  ])("%s", (_l, source, text, want) => {
    const { prefix, suffix } = splitAtCursor(source);
    expect(trimCursorLineOverlap(text, prefix, suffix)).toBe(want);
  });

  it("codeMask continues the cursor line's string state", () => {
    expect(codeMask('x = "ab', 'c" + d').map((b) => (b ? 1 : 0)).join("")).toBe("001111");
    expect(codeMask("", "a // (b").map((b) => (b ? 1 : 0)).join("")).toBe("1100000");
    expect(codeMask("", "'it\\'s' + x").map((b) => (b ? 1 : 0)).join("")).toBe("00000001111");
  });
});

type VerdictRow = [label: string, text: string, final: boolean, want: { cut?: number; safe: number }];

/** A table of a stop rule's verdicts; a cut always reports "stop_string". */
function verdicts(name: string, rule: StopRule, rows: VerdictRow[]): void {
  describe(name, () => {
    it.each(rows)("%s", (_l, text, final, want) => {
      const v = rule(text, final);
      expect({ safe: v.safe, ...(v.cut !== undefined ? { cut: v.cut } : {}) }).toEqual(want);
      if (v.cut !== undefined) expect(v.reason).toBe("stop_string");
    });
  });
}

verdicts("repetitionRule", repetitionRule(), [
  ["three copies in a row: cut after the first", "x = 1\nfoo(bar);\nfoo(bar);\nfoo(bar);\n", false, { cut: 15, safe: 15 }],
  ["two copies and a different line: all safe but the newline the next line may follow", "foo(bar);\nfoo(bar);\nbaz();\n", false, { safe: 26 }],
  ["a second copy is held back", "foo(bar);\nfoo(bar);\n", false, { safe: 9 }],
  ["…and released once the next line differs", "foo(bar);\nfoo(bar);\nb", false, { safe: 21 }],
  ["…but not while the next line may still be a copy", "foo(bar);\nfoo(bar);\nfoo", false, { safe: 9 }],
  ["…and released at the end of the stream", "foo(bar);\nfoo(bar);", true, { safe: 19 }],
  ["short lines (closers, data) never count", "  });\n  });\n  });\n0,\n0,\n0,\n", false, { safe: 27 }],
  ["a third copy at the end of the stream", "ab();\nab();\nab();", true, { cut: 5, safe: 5 }],
]);

verdicts("inlineRepetitionRule", inlineRepetitionRule(), [
  ["a path segment looping: cut after the first copy, where a word begins", "import x from \"@gb.org/gb/lib/lib/lib/lib", false, { cut: 30, safe: 30 }],
  ["a member chain looping", "n: u.promptTokens.promptTokens.promptTokens.p", false, { cut: 18, safe: 18 }],
  ["a two-character unit needs 12 characters", "e.g.g.g.g.g.g", false, { cut: 4, safe: 4 }],
  ["…and is held back from two copies over 10 characters", "e.g.g.g.g.g", false, { safe: 4 }],
  ["…not before", "e.g.g.g.g", false, { safe: 9 }],
  ["data with one letter needs five copies to be cut (four are held back)", 'x = ["l12", "l12", "l12", "l12"', false, { safe: 13 }],
  ["a repeat of two characters is not held", "x = ele", false, { safe: 7 }],
  ["a second copy is held back", "x = a.slice(0, a.slice(0, ", false, { safe: 15 }],
  ["…and released once the line shows it was no loop", "x = a.slice(0, a.slice(0, 1))", false, { safe: 29 }],
  ["…and at the end of the stream", "x = a.slice(0, a.slice(0, ", true, { safe: 26 }],
  ["only the last line counts", "lib/lib/lib/lib\nfoo", false, { safe: 19 }],
  ["number lists are data, not loops", "const z = [0, 0, 0, 0, 0, 0, 0, 0", false, { safe: 33 }],
  ["hex bytes too", "b = [0xff, 0xff, 0xff, 0xff, 0xff", false, { safe: 33 }],
  ["separators have no letter", "// ------------------------", false, { safe: 27 }],
  ["two copies of a long unit pass", "foo.bar.baz(foo.bar.baz(", true, { safe: 24 }],
]);
