import { describe, expect, it } from "vitest";
import { splitAtCursor } from "../prompt/cursor.js";
import { balanceBrackets } from "./balance-brackets.js";
import { isRepetitive } from "./is-repetitive.js";
import { trimSuffixOverlap } from "./trim-suffix-overlap.js";

describe("trimSuffixOverlap", () => {
  it.each([
    ["closer re-typed", "foo(a, b)", ")\n", "foo(a, b"],
    ["line re-typed", "x = 1;\n  return x;", "\n  return x;\n}", "x = 1;"],
    ["long overlap mid-line", "call(alpha, beta", "alpha, beta)", "call("],
    ["short word overlap is kept", "a = 1", "1 + 2", "a = 1"],
    ["short overlap to a line end is trimmed", "let y = x", "x\nfoo", "let y = "],
    ["no overlap", "abc", "xyz", "abc"],
    ["whitespace-only overlap kept", "abc  ", "  x", "abc  "],
    ["empty suffix", "abc", "", "abc"],
  ])("%s", (_l, text, suffix, want) => {
    expect(trimSuffixOverlap(text, suffix)).toBe(want);
  });
});

describe("balanceBrackets", () => {
  it.each([
    ["drops a closer the suffix has", "print(█)", "x)", "x"],
    ["drops several", "f([█])", "1, 2])", "1, 2"],
    ["drops only the part the suffix has", "f([█)", "1, 2])", "1, 2]"],
    ["keeps closers matched inside the text", "x = █)", "g(1)", "g(1)"],
    ["keeps when the suffix lacks them", "print(█\n", "x)", "x)"],
    ["spaces before the suffix closer", "f(█  )", "a)", "a"],
    ["no trailing closer", "f(█)", "a", "a"],
    ["nested: outer from prefix", "f(█)", "g(x))", "g(x)"],
  ])("%s", (_l, source, text, want) => {
    const { prefix, suffix } = splitAtCursor(source);
    expect(balanceBrackets(text, prefix, suffix)).toBe(want);
  });
});

describe("isRepetitive", () => {
  it.each([
    ["same line 3×", "x = 1\nfoo()\nfoo()\nfoo()", true],
    ["same line 2×", "foo()\nfoo()\nbar()", false],
    ["closing braces at different indentation", "      }\n    }\n  }\n}", false],
    ["identical closer lines", "  });\n  });\n  });", true],
    ["one-char lines are ignored", "}\n}\n}", false],
    ["single chars lines are ignored", "a\nb\n\n\n\n", false],
    ["pattern at the end", "return abcabcabcabcabcabcabcabc", true],
    ["separator line", "// ----------------------------------", false],
    ["normal code", "for (let i = 0; i < n; i++) {\n  sum += a[i];\n}", false],
    ["short pattern too short overall", "ababab", false],
  ])("%s", (_l, text, want) => {
    expect(isRepetitive(text)).toBe(want);
  });
});
