import { special, type FamilySpec } from "./types.js";

/**
 * DeepSeek-Coder: `<｜begin▁of▁sentence｜><｜fim▁begin｜>prefix<｜fim▁hole｜>suffix<｜fim▁end｜>`
 * (fullwidth bars, U+2581 "▁"). Repository context is plain code with path comments, so extra
 * snippets become comment lines before the prefix. Ends with `<｜end▁of▁sentence｜>` or `<|EOT|>`.
 */
export const deepseekFamily: FamilySpec = {
  family: "deepseek",
  bos: true,
  layout: [
    special("<｜fim▁begin｜>"),
    { kind: "slot", slot: "extra" },
    { kind: "slot", slot: "prefix" },
    special("<｜fim▁hole｜>"),
    { kind: "slot", slot: "suffix" },
    special("<｜fim▁end｜>"),
  ],
  extraMode: "comment",
  stopTokens: ["<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"],
  stopStrings: ["<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>", "<｜fim▁hole｜>"],
};
