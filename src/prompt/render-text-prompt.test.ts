import { describe, expect, it } from "vitest";
import { splitAtCursor } from "./cursor.js";
import { renderTextPrompt } from "./render-text-prompt.js";
import type { CharBudget, FimFamily } from "./types.js";

const BIG: CharBudget = { prefixChars: 10_000, suffixChars: 10_000, extraChars: 10_000 };

describe("renderTextPrompt: templates", () => {
  const table: [FimFamily, string, string][] = [
    ["ghostline", "a = █\nb", "<fim_suffix>\nb<fim_prefix>a = <fim_middle>"],
    ["starcoder", "a = █\nb", "<fim_prefix>a = <fim_suffix>\nb<fim_middle>"],
    ["qwen", "a = █\nb", "<|fim_prefix|>a = <|fim_suffix|>\nb<|fim_middle|>"],
    ["deepseek", "a = █\nb", "<｜fim▁begin｜>a = <｜fim▁hole｜>\nb<｜fim▁end｜>"],
    ["codellama", "a = █\nb", "<PRE> a =  <SUF>\nb <MID>"],
    ["generic", "a = █\nb", "a = "],
  ];
  it.each(table)("%s", (family, source, want) => {
    const r = renderTextPrompt(family, splitAtCursor(source), BIG);
    expect(r.prompt).toBe(want);
    expect(r.stop.length).toBeLessThanOrEqual(4);
  });

  it("stop strings per family", () => {
    expect(renderTextPrompt("qwen", { prefix: "", suffix: "" }, BIG).stop).toContain("<|endoftext|>");
    expect(renderTextPrompt("deepseek", { prefix: "", suffix: "" }, BIG).stop).toContain("<|EOT|>");
    expect(renderTextPrompt("codellama", { prefix: "", suffix: "" }, BIG).stop).toContain("<EOT>");
    expect(renderTextPrompt("generic", { prefix: "", suffix: "" }, BIG).stop).toEqual([]);
  });
});

describe("renderTextPrompt: character budgets", () => {
  const src = "l1\nl2\nl3\ncur█sor\nn1\nn2\n";
  const table: [string, Partial<CharBudget>, string][] = [
    ["fits", {}, "<fim_prefix>l1\nl2\nl3\ncur<fim_suffix>sor\nn1\nn2\n<fim_middle>"],
    ["prefix from a line start", { prefixChars: 8 }, "<fim_prefix>l3\ncur<fim_suffix>sor\nn1\nn2\n<fim_middle>"],
    ["prefix mid-line", { prefixChars: 2 }, "<fim_prefix>ur<fim_suffix>sor\nn1\nn2\n<fim_middle>"],
    ["suffix to a line end", { suffixChars: 8 }, "<fim_prefix>l1\nl2\nl3\ncur<fim_suffix>sor\nn1\n<fim_middle>"],
    ["suffix mid-line", { suffixChars: 2 }, "<fim_prefix>l1\nl2\nl3\ncur<fim_suffix>so<fim_middle>"],
  ];
  it.each(table)("%s", (_l, b, want) => {
    const r = renderTextPrompt("starcoder", splitAtCursor(src), { ...BIG, ...b });
    expect(r.prompt).toBe(want);
    expect(r.truncated).toBe(Object.keys(b).length > 0);
  });

  it("does not split a surrogate pair", () => {
    const r = renderTextPrompt("starcoder", { prefix: "x😀y", suffix: "" }, { ...BIG, prefixChars: 2 });
    expect(r.prompt).toBe("<fim_prefix>y<fim_suffix><fim_middle>");
  });
});

describe("renderTextPrompt: repository context", () => {
  const extra = [{ filepath: "pkg/util.go", text: "func A() {}\n" }];
  it("qwen repo format", () => {
    const r = renderTextPrompt("qwen", { prefix: "x", suffix: "", extra, filepath: "pkg/main.go" }, BIG);
    expect(r.prompt).toBe("<|repo_name|>pkg\n<|file_sep|>pkg/util.go\nfunc A() {}\n<|file_sep|>pkg/main.go\n<|fim_prefix|>x<|fim_suffix|><|fim_middle|>");
  });
  it("deepseek: comments in the prefix", () => {
    const r = renderTextPrompt("deepseek", { prefix: "x", suffix: "", extra, language: "go" }, BIG);
    expect(r.prompt).toBe("<｜fim▁begin｜>// Path: pkg/util.go\n// func A() {}\nx<｜fim▁hole｜><｜fim▁end｜>");
  });
  it("extra dropped when over budget", () => {
    const r = renderTextPrompt("deepseek", { prefix: "x", suffix: "", extra }, { ...BIG, extraChars: 10 });
    expect(r.prompt).toBe("<｜fim▁begin｜>x<｜fim▁hole｜><｜fim▁end｜>");
  });
});
