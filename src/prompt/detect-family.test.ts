import { describe, expect, it } from "vitest";
import { detectFamily, familyFromModelName } from "./detect-family.js";
import type { FimFamily } from "./types.js";
import { VOCABS } from "./fake-tokenizer.test-helper.js";

const has = (vocab: Record<string, number>) => (t: string) => t in vocab;

describe("detectFamily", () => {
  const table: [string, { name?: string; architecture?: string; vocab: Record<string, number> }, FimFamily][] = [
    ["ghostline by name + fim tokens", { name: "ghostline-target", architecture: "llama", vocab: VOCABS.ghostline }, "ghostline"],
    ["Ghostline name case-insensitive", { name: "Ghostline Draft 1.4M", vocab: VOCABS.ghostline }, "ghostline"],
    ["starcoder tokens, other name", { name: "starcoder2-3b", architecture: "starcoder2", vocab: VOCABS.starcoder }, "starcoder"],
    ["starcoder tokens, no name", { vocab: VOCABS.starcoder }, "starcoder"],
    ["ghostline name but no fim tokens", { name: "ghostline-x", vocab: {} }, "generic"],
    ["qwen", { name: "Qwen2.5 Coder 1.5B", architecture: "qwen2", vocab: VOCABS.qwen }, "qwen"],
    ["deepseek", { name: "deepseek-coder-1.3b-base", architecture: "llama", vocab: VOCABS.deepseek }, "deepseek"],
    ["codellama ▁ spelling", { name: "codellama_codellama-7b-hf", architecture: "llama", vocab: VOCABS.codellama }, "codellama"],
    ["codellama bare spelling", { vocab: { "<PRE>": 1, "<SUF>": 2, "<MID>": 3 } }, "codellama"],
    ["partial FIM set", { name: "qwen", vocab: { "<|fim_prefix|>": 1 } }, "generic"],
    ["no fim tokens", { name: "llama-3", architecture: "llama", vocab: {} }, "generic"],
  ];
  it.each(table)("%s", (_label, m, want) => {
    expect(detectFamily({ ...(m.name !== undefined ? { name: m.name } : {}), ...(m.architecture ? { architecture: m.architecture } : {}), hasToken: has(m.vocab) })).toBe(want);
  });

  it("treats a throwing probe as 'no such token'", () => {
    expect(detectFamily({ hasToken: () => { throw new Error("boom"); } })).toBe("generic");
  });
});

describe("familyFromModelName", () => {
  it.each([
    ["Qwen/Qwen2.5-Coder-7B", "qwen"],
    ["deepseek-ai/deepseek-coder-6.7b-base", "deepseek"],
    ["bigcode/starcoder2-15b", "starcoder"],
    ["codellama/CodeLlama-7b-hf", "codellama"],
    ["ghostline-target", "ghostline"],
    ["mistral-7b", "generic"],
    [undefined, "generic"],
  ] as const)("%s → %s", (name, want) => {
    expect(familyFromModelName(name)).toBe(want);
  });
});
