import { describe, expect, it } from "vitest";
import { buildTokenPrompt } from "./build-token-prompt.js";
import { splitAtCursor } from "./cursor.js";
import { fakeTokenizer, VOCABS, EOS } from "./fake-tokenizer.test-helper.js";
import type { FimFamily, TokenBudget } from "./types.js";
import { isGhostlineError } from "../core/errors.js";

const BIG: TokenBudget = { prefixTokens: 1000, suffixTokens: 1000, extraTokens: 1000, maxPromptTokens: 4000 };

function build(family: FimFamily, source: string, budget: Partial<TokenBudget> = {}, extra?: { filepath: string; text: string }[], filepath?: string) {
  const tok = fakeTokenizer(VOCABS[family]);
  const out = buildTokenPrompt(family, { ...splitAtCursor(source), ...(extra ? { extra } : {}), ...(filepath ? { filepath } : {}) }, { ...BIG, ...budget }, tok);
  return { ...out, text: tok.decode(out.tokens), tok };
}

describe("buildTokenPrompt: templates per family", () => {
  const table: [FimFamily, string, string][] = [
    ["ghostline", "def f(x):\n    █\nprint(1)", "⟦BOS⟧⟦<fim_suffix>⟧\nprint(1)⟦<fim_prefix>⟧def f(x):\n    ⟦<fim_middle>⟧"],
    ["starcoder", "a = █\nb", "⟦<fim_prefix>⟧a = ⟦<fim_suffix>⟧\nb⟦<fim_middle>⟧"],
    ["qwen", "a = █\nb", "⟦<|fim_prefix|>⟧a = ⟦<|fim_suffix|>⟧\nb⟦<|fim_middle|>⟧"],
    ["deepseek", "a = █\nb", "⟦BOS⟧⟦<｜fim▁begin｜>⟧a = ⟦<｜fim▁hole｜>⟧\nb⟦<｜fim▁end｜>⟧"],
    ["codellama", "a = █\nb", "⟦BOS⟧⟦▁<PRE>⟧ a =  ⟦▁<SUF>⟧\nb ⟦▁<MID>⟧"],
    ["generic", "a = █\nb", "⟦BOS⟧a = "],
    ["ghostline", "█", "⟦BOS⟧⟦<fim_suffix>⟧⟦<fim_prefix>⟧⟦<fim_middle>⟧"],
  ];
  it.each(table)("%s: %j", (family, source, want) => {
    const r = build(family, source);
    expect(r.text).toBe(want);
    expect(r.truncated).toBe(false);
  });

  it("ghostline: typing at the cursor only appends tokens (SPM)", () => {
    const a = build("ghostline", "let x = █;\nfoo();").tokens;
    const b = build("ghostline", "let x = 4█;\nfoo();").tokens;
    expect(b.slice(0, a.length - 1)).toEqual(a.slice(0, -1));
    expect(b.length).toBe(a.length + 1);
  });

  it("stop token ids: family stops present in the vocabulary plus EOS", () => {
    expect(build("ghostline", "x█").stopTokenIds.sort((x, y) => x - y)).toEqual([2, 4, 5, 6, 7, 8]);
    expect(build("qwen", "x█").stopTokenIds).toEqual(expect.arrayContaining([26, 25, 24, 23, 27, EOS]));
    expect(build("deepseek", "x█").stopTokenIds).toEqual(expect.arrayContaining([33, 34]));
    expect(build("codellama", "x█").stopTokenIds).toEqual(expect.arrayContaining([43, EOS]));
    expect(build("generic", "x█").stopTokenIds).toEqual([EOS]);
  });
});

describe("buildTokenPrompt: user text never becomes control tokens", () => {
  it.each(["ghostline", "starcoder"] as const)("%s: literal <fim_prefix> is tokenized as text", (family) => {
    const r = build(family, 's = "<fim_prefix>█<fim_middle>"');
    const specials = r.tokens.filter((t) => t < 1000);
    expect(specials.filter((t) => t === 4)).toHaveLength(1);
    expect(specials.filter((t) => t === 6)).toHaveLength(1);
    expect(r.text).toContain('s = "<fim_prefix>');
  });
  it("qwen: literal <|file_sep|> in a snippet stays text", () => {
    const r = build("qwen", "x█", {}, [{ filepath: "a.py", text: "<|file_sep|>" }]);
    expect(r.tokens.filter((t) => t === 25)).toHaveLength(2); // the chunk marker + the current-file marker
  });
});

describe("buildTokenPrompt: budgets", () => {
  const src = "line1\nline2\nline3\ncur█sor\nnext1\nnext2\n";
  const table: [string, Partial<TokenBudget>, string, boolean][] = [
    ["fits", {}, "⟦<fim_prefix>⟧line1\nline2\nline3\ncur⟦<fim_suffix>⟧sor\nnext1\nnext2\n⟦<fim_middle>⟧", false],
    ["prefix cut at a line start", { prefixTokens: 13 }, "⟦<fim_prefix>⟧line3\ncur⟦<fim_suffix>⟧sor\nnext1\nnext2\n⟦<fim_middle>⟧", true],
    ["prefix cut mid-line when the cursor line is too long", { prefixTokens: 2 }, "⟦<fim_prefix>⟧ur⟦<fim_suffix>⟧sor\nnext1\nnext2\n⟦<fim_middle>⟧", true],
    ["suffix cut at a line end", { suffixTokens: 11 }, "⟦<fim_prefix>⟧line1\nline2\nline3\ncur⟦<fim_suffix>⟧sor\nnext1\n⟦<fim_middle>⟧", true],
    ["suffix cut mid-line", { suffixTokens: 2 }, "⟦<fim_prefix>⟧line1\nline2\nline3\ncur⟦<fim_suffix>⟧so⟦<fim_middle>⟧", true],
    ["zero suffix", { suffixTokens: 0 }, "⟦<fim_prefix>⟧line1\nline2\nline3\ncur⟦<fim_suffix>⟧⟦<fim_middle>⟧", true],
    // 3 control tokens; 20 left: the suffix gets at most a quarter (5: its first line, 4), the
    // prefix the rest within its own budget of 9 (2 lines)
    ["max: the suffix takes at most a quarter of the room", { maxPromptTokens: 23, prefixTokens: 9 }, "⟦<fim_prefix>⟧line3\ncur⟦<fim_suffix>⟧sor\n⟦<fim_middle>⟧", true],
    // 5 left: suffix 1 (a quarter), prefix 4 → "cur" (3; a whole line does not fit)
    ["max: tiny room", { maxPromptTokens: 8 }, "⟦<fim_prefix>⟧cur⟦<fim_suffix>⟧s⟦<fim_middle>⟧", true],
  ];
  it.each(table)("%s", (_l, budget, want, truncated) => {
    const r = build("starcoder", src, budget);
    expect(r.text).toBe(want);
    expect(r.truncated).toBe(truncated);
    expect(r.tokens.length).toBeLessThanOrEqual(budget.maxPromptTokens ?? BIG.maxPromptTokens);
  });

  it("never exceeds maxPromptTokens (sweep)", () => {
    for (let max = 9; max < 60; max++) {
      for (const family of ["ghostline", "qwen", "codellama", "deepseek"] as const) {
        const r = build(family, src, { maxPromptTokens: max, extraTokens: 30 }, [{ filepath: "lib/a.ts", text: "export const a = 1;\n" }], "lib/b.ts");
        expect(r.tokens.length, `${family} max=${max}`).toBeLessThanOrEqual(max);
      }
    }
  });

  it("prefixAlignLines keeps the prompt start stable while lines are added", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `l${String(i).padStart(2, "0")}\n`);
    const startOf = (n: number, align: number) => {
      const r = build("ghostline", `${lines.slice(0, n).join("")}█`, { prefixTokens: 40, prefixAlignLines: align });
      return r.text.slice(r.text.indexOf("⟦<fim_prefix>⟧") + 14, r.text.indexOf("⟦<fim_prefix>⟧") + 17);
    };
    // 4 tokens per line, 40-token budget: 10 lines fit.
    expect([20, 21, 22, 23].map((n) => startOf(n, 1))).toEqual(["l10", "l11", "l12", "l13"]);
    expect([20, 21, 22, 23].map((n) => startOf(n, 4))).toEqual(["l12", "l12", "l12", "l16"]);
    for (const n of [20, 21, 22, 23]) {
      expect(build("ghostline", `${lines.slice(0, n).join("")}█`, { prefixTokens: 40, prefixAlignLines: 4 }).tokens.length).toBeLessThanOrEqual(40 + 4);
    }
  });

  it("throws context_overflow when the template itself does not fit", () => {
    let err: unknown;
    try {
      build("ghostline", "x█", { maxPromptTokens: 4 });
    } catch (e) {
      err = e;
    }
    expect(isGhostlineError(err, "context_overflow")).toBe(true);
  });

  it("throws engine_error when the vocabulary lacks the family's tokens", () => {
    const tok = fakeTokenizer({});
    expect(() => buildTokenPrompt("qwen", { prefix: "a", suffix: "" }, BIG, tok)).toThrow(/lacks <\|fim_prefix\|>/);
  });

  it("rejects negative budgets", () => {
    expect(() => build("ghostline", "x█", { prefixTokens: -1 })).toThrow(/prefixTokens/);
  });

  it("tokenizes only about the budget of a huge prefix", () => {
    const huge = "x = 1\n".repeat(50_000);
    const r = build("ghostline", `${huge}█`, { prefixTokens: 60 });
    expect(r.truncated).toBe(true);
    const tokenized = r.tok.calls.reduce((n, c) => n + c.length, 0);
    expect(tokenized).toBeLessThan(1_000);
  });
});

describe("buildTokenPrompt: repository context", () => {
  const extra = [
    { filepath: "src/util.py", text: "def helper():\n    return 1\n" },
    { filepath: "src/other.py", text: "X = 2" },
  ];
  it("qwen: repo_name + file_sep chunks + current file before the FIM part", () => {
    const r = build("qwen", "import util\n█", {}, extra, "src/main.py");
    expect(r.text).toBe(
      "⟦<|repo_name|>⟧src\n⟦<|file_sep|>⟧src/util.py\ndef helper():\n    return 1\n⟦<|file_sep|>⟧src/other.py\nX = 2\n⟦<|file_sep|>⟧src/main.py\n" +
        "⟦<|fim_prefix|>⟧import util\n⟦<|fim_suffix|>⟧⟦<|fim_middle|>⟧",
    );
  });
  it("starcoder2: <repo_name>/<file_sep>", () => {
    const r = build("starcoder", "x█", {}, extra.slice(1), "a.py");
    expect(r.text).toBe("⟦<repo_name>⟧workspace⟦<file_sep>⟧src/other.py\nX = 2\n⟦<file_sep>⟧a.py\n⟦<fim_prefix>⟧x⟦<fim_suffix>⟧⟦<fim_middle>⟧");
  });
  it("starcoder without <file_sep> in the vocabulary falls back to comments", () => {
    const tok = fakeTokenizer({ "<fim_prefix>": 4, "<fim_suffix>": 5, "<fim_middle>": 6 });
    const r = buildTokenPrompt("starcoder", { prefix: "x", suffix: "", extra: extra.slice(1), language: "python" }, BIG, tok);
    expect(tok.decode(r.tokens)).toBe("⟦<fim_prefix>⟧# Path: src/other.py\n# X = 2\nx⟦<fim_suffix>⟧⟦<fim_middle>⟧");
  });
  it("ghostline: comment lines at the start of the prefix, after <fim_prefix>", () => {
    const r = build("ghostline", "y█", {}, extra.slice(1), "b.ts");
    expect(r.text).toBe("⟦BOS⟧⟦<fim_suffix>⟧⟦<fim_prefix>⟧// Path: src/other.py\n// X = 2\ny⟦<fim_middle>⟧");
  });
  it("extra is cut to its budget and dropped first under maxPromptTokens", () => {
    const withBudget = build("ghostline", "y█", { extraTokens: 20 }, extra, "b.py");
    expect(withBudget.text).toBe("⟦BOS⟧⟦<fim_suffix>⟧⟦<fim_prefix>⟧# Path: src/util.py\ny⟦<fim_middle>⟧");
    const squeezed = build("ghostline", "y█", { maxPromptTokens: 6 }, extra, "b.py");
    expect(squeezed.text).toBe("⟦BOS⟧⟦<fim_suffix>⟧⟦<fim_prefix>⟧y⟦<fim_middle>⟧");
    expect(squeezed.truncated).toBe(false);
  });
});

describe("buildTokenPrompt: a stable prompt start while typing (KV reuse)", () => {
  it("typing at the end of a long file changes the SPM prompt's start only when the aligned prefix cut moves", () => {
    const lines = Array.from({ length: 300 }, (_, i) => `const value${i} = compute(${i});`);
    const before = lines.slice(0, 200).join("\n") + "\n";
    const after = "\n" + lines.slice(200).join("\n");
    const typed = "function added(a, b) {\n  return a + b;\n}\nconst more = added(1, 2);\n".repeat(4);
    const budget = { prefixTokens: 1000, suffixTokens: 1000, extraTokens: 0, maxPromptTokens: 600, prefixAlignLines: 16 };
    const tok = fakeTokenizer(VOCABS.ghostline);
    let prev: number[] | undefined;
    let restarts = 0;
    for (let i = 0; i <= typed.length; i++) {
      const { tokens } = buildTokenPrompt("ghostline", { prefix: before + typed.slice(0, i), suffix: after }, budget, tok);
      if (prev) {
        let same = 0;
        while (same < prev.length && prev[same] === tokens[same]) same++;
        if (same < prev.length - 8) restarts++; // more than the cursor's last few tokens changed
      }
      prev = tokens;
    }
    // 16 lines typed: the 16-line-aligned cut moves about once; the suffix part never changes
    expect(restarts).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeLessThanOrEqual(2);
  });
});

describe("buildTokenPrompt: line-anchored middle (anchorLine)", () => {
  const withDetok = (family: FimFamily) => {
    const tok = fakeTokenizer(VOCABS[family]);
    return { ...tok, detokenize: (ids: readonly number[]) => tok.decode([...ids]) };
  };
  const anchored = (family: FimFamily, source: string, budget: Partial<TokenBudget> = {}, tok = withDetok(family)) => {
    const out = buildTokenPrompt(family, splitAtCursor(source), { ...BIG, anchorLine: true, ...budget }, tok);
    return { ...out, text: tok.decode(out.tokens) };
  };

  it("ends the prefix at the cursor line's content and puts the typed content after the middle marker", () => {
    const r = anchored("ghostline", "def f(x):\n    return x.up█\nprint(1)");
    expect(r.text).toBe("⟦BOS⟧⟦<fim_suffix>⟧\nprint(1)⟦<fim_prefix>⟧def f(x):\n    ⟦<fim_middle>⟧return x.up");
    expect(r.typed).toEqual({ text: "return x.up", tokenCount: "return x.up".length });
    // PSM (Qwen): the suffix no longer follows the typed text
    expect(anchored("qwen", "a = b█\nc").text).toBe("⟦<|fim_prefix|>⟧⟦<|fim_suffix|>⟧\nc⟦<|fim_middle|>⟧a = b");
  });

  it("keystrokes of one line share the whole prompt up to the middle marker (one new token each)", () => {
    for (const family of ["ghostline", "qwen", "starcoder"] as const) {
      const a = anchored(family, "x = 1\n  let v = fo█\ny()").tokens;
      const b = anchored(family, "x = 1\n  let v = foo█\ny()").tokens;
      expect(b.slice(0, a.length)).toEqual(a);
      expect(b.length).toBe(a.length + 1);
    }
  });

  it("is the usual prompt when the line has no content before the cursor, without detokenize, or when the content does not round-trip", () => {
    const plain = build("ghostline", "def f(x):\n    █\nprint(1)");
    expect(anchored("ghostline", "def f(x):\n    █\nprint(1)").tokens).toEqual(plain.tokens);
    expect(anchored("ghostline", "def f(x):\n    █\nprint(1)").typed).toBeUndefined();
    const tok = fakeTokenizer(VOCABS.ghostline);
    const noDetok = buildTokenPrompt("ghostline", splitAtCursor("a\n  bc█\n"), { ...BIG, anchorLine: true }, tok);
    expect(noDetok.typed).toBeUndefined();
    expect(noDetok.tokens).toEqual(build("ghostline", "a\n  bc█\n").tokens);
    const lossy = { ...withDetok("ghostline"), detokenize: (ids: readonly number[]) => " " + tok.decode([...ids]) };
    expect(anchored("ghostline", "a\n  bc█\n", {}, lossy).typed).toBeUndefined();
  });

  it("falls back to the usual prompt for a line of more than 64 tokens, and counts the typed tokens in the prefix budget", () => {
    expect(anchored("ghostline", `a\n${"x".repeat(65)}█\n`).typed).toBeUndefined();
    expect(anchored("ghostline", `a\n${"x".repeat(64)}█\n`).typed?.tokenCount).toBe(64);
    const r = anchored("ghostline", `${"line\n".repeat(40)}  abcdef█\n`, { prefixTokens: 30, prefixAlignLines: 1 });
    const pre = r.tokens.indexOf(4);
    expect(r.tokens.length - pre - 1 - 1).toBeLessThanOrEqual(30); // prefix + typed within prefixTokens (marker excluded)
    expect(r.text.endsWith("⟦<fim_middle>⟧abcdef")).toBe(true);
  });
});
