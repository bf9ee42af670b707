import { describe, expect, it } from "vitest";
import type { StopReason, StopRules } from "../core/types.js";
import { splitAtCursor } from "../prompt/cursor.js";
import { createStopMatcher } from "./stop-matcher.js";

/** Feeds `completion` in chunks of `size` chars; returns what was shown (incl. flush) and the stop. */
function run(rules: StopRules, source: string, completion: string, size: number) {
  const m = createStopMatcher(rules, splitAtCursor(source));
  let shown = "";
  let stop: StopReason | undefined;
  for (let i = 0; i < completion.length; i += size) {
    const r = m.push(completion.slice(i, i + size));
    shown += r.emit;
    if (r.stop) {
      stop = r.stop;
      break;
    }
  }
  if (!stop) shown += m.flush();
  return { shown, stop };
}

const R = (mode: StopRules["mode"], stop: string[] = []): StopRules => ({ maxTokens: 64, stop, mode });

describe("createStopMatcher", () => {
  const table: [string, StopRules, string, string, string, StopReason | undefined][] = [
    ["no rules: everything", R("none"), "x = █", "1\ny = 2", "1\ny = 2", undefined],
    ["stop string", R("none", ["\n\n"]), "x = █", "1\n\ny = 2", "1", "stop_string"],
    ["stop string never emitted partially", R("none", ["<END>"]), "█", "abc<EN", "abc<EN", undefined],
    ["earliest of several stop strings", R("none", ["bb", "a"]), "█", "xxbba", "xx", "stop_string"],
    ["stop string at the very start", R("none", ["#"]), "█", "#abc", "", "stop_string"],
    ["line: stops at the first newline", R("line"), "x = █", "compute()\nnext()", "compute()", "end_of_line"],
    ["line: leading newline allowed", R("line"), "if x:█", "\n    return 1\n    y", "\n    return 1", "end_of_line"],
    ["line: whole text without newline", R("line"), "x = █", "42", "42", undefined],
    ["block: dedent below the cursor line", R("block"), "def f():\n    █", "a = 1\n    b = 2\nprint(f())", "a = 1\n    b = 2", "end_of_block"],
    ["block: deeper lines continue", R("block"), "def f():\n    if x:█", "\n        y()\n        z()\n    w()", "\n        y()\n        z()\n    w()", undefined],
    ["block: blank line after content", R("block"), "def f():█", "\n    return 1\n\ndef g():", "\n    return 1", "end_of_block"],
    ["block: blank line with spaces", R("block"), "█", "a\n   \nb", "a", "end_of_block"],
    ["block: dedent right at the start", R("block"), "    x = 1█", "\ny = 2", "", "end_of_block"],
    ["block: trailing indentation is held then released", R("block"), "    █", "a()\n    ", "a()\n    ", undefined],
    ["suffix overlap: stops before the repeated line", R("none"), "function f() {\n  █\n  return x;\n}", "const x = 1;\n  return x;\n}", "const x = 1;", "stop_string"],
    ["suffix overlap: inner closer at other indentation passes", R("none"), "function f() {\n  █\n}", "if (a) {\n    b();\n  }\n}\nmore", "if (a) {\n    b();\n  }", "stop_string"],
    ["suffix overlap: first line when cursor line is blank", R("none"), "  █\n  return x;", "return x;\n", "", "stop_string"],
    ["suffix overlap: not on a partial cursor line", R("none"), "  ret█\n  return x;", "urn x;", "urn x;", undefined],
    ["suffix overlap at the end of the stream", R("none"), "a\n█\nb", "c\nb", "c", undefined],
    ["line + stop string: earliest wins", R("line", [";"]), "█", "a;\nb", "a", "stop_string"],
    ["cursor line: a re-typed closer ends the completion", R("none"), "print(█)\nnext", "x)\ny = 1", "x", "stop_string"],
    ["cursor line: re-typed at the end of the stream", R("none"), "foo(█);", "a, b);", "a, b", undefined],
    ["cursor line: the completion's own closer stays", R("none"), "x = █)", "g(1)", "g(1)", undefined],
    ["cursor line: held back, then released by more text", R("none"), "f(█)", "a) + b", "a) + b", undefined],
    ["a stop string inside a tail another rule was holding back", R("none", ["po"]), "█export x", "export", "ex", "stop_string"],
    ["repetition: stops after the first copy", R("none"), "█", "a = f(x);\na = f(x);\na = f(x);\nmore", "a = f(x);", "stop_string"],
    ["repetition: two copies pass", R("none"), "█", "a = f(x);\na = f(x);\nb()", "a = f(x);\na = f(x);\nb()", undefined],
    ["a unit twice within a line passes", R("none"), "█", "f(a.b, a.b, c);", "f(a.b, a.b, c);", undefined],
  ];
  for (const size of [1, 2, 3, 1000]) {
    it.each(table)(`chunk ${size}: %s`, (_l, rules, source, completion, want, reason) => {
      const r = run(rules, source, completion, size);
      expect(r.shown).toBe(want);
      expect(r.stop).toBe(reason);
    });
  }

  it.each([1, 2, 3, 1000])("a loop within a line stops after its first copy (chunk %i; at most one copy more was shown)", (size) => {
    const r = run(R("none"), "█", "x = a/lib/lib/lib/lib/lib/lib", size);
    expect(r.stop).toBe("stop_string");
    expect(r.shown.startsWith("x = a/lib/")).toBe(true);
    expect(r.shown.length).toBeLessThanOrEqual("x = a/lib/lib/".length);
  });

  it("emits incrementally (not only at the end)", () => {
    const m = createStopMatcher(R("none", ["<END>"]), { prefix: "", suffix: "" });
    expect(m.push("hello ").emit).toBe("hello ");
    expect(m.push("wor<").emit).toBe("wor");
    expect(m.push("x").emit).toBe("<x");
    expect(m.push("<EN").emit).toBe("");
    expect(m.push("D>tail")).toEqual({ emit: "", stop: "stop_string" });
    expect(m.push("more")).toEqual({ emit: "", stop: "stop_string" });
    expect(m.flush()).toBe("");
  });

  it("flush releases held text when the stream ends", () => {
    const m = createStopMatcher(R("none", ["<END>"]), { prefix: "", suffix: "" });
    expect(m.push("a<EN").emit).toBe("a");
    expect(m.flush()).toBe("<EN");
  });
});
