import { special, text, type FamilySpec } from "./types.js";

/**
 * Qwen2.5-Coder: PSM `<|fim_prefix|>prefix<|fim_suffix|>suffix<|fim_middle|>`; repository level
 * `<|repo_name|>name\n<|file_sep|>path\ntext\n…<|file_sep|>current\n` before the FIM part.
 * No BOS. Ends with `<|endoftext|>` (or a file/FIM marker it starts by mistake).
 */
export const qwenFamily: FamilySpec = {
  family: "qwen",
  bos: false,
  layout: [
    { kind: "slot", slot: "extra" },
    special("<|fim_prefix|>"),
    { kind: "slot", slot: "prefix" },
    special("<|fim_suffix|>"),
    { kind: "slot", slot: "suffix" },
    special("<|fim_middle|>"),
  ],
  extraMode: "repo",
  repoHeader: (name) => [special("<|repo_name|>"), text(`${name}\n`)],
  repoChunk: (e) => [special("<|file_sep|>"), text(`${e.filepath}\n${e.text}${e.text.endsWith("\n") ? "" : "\n"}`)],
  repoCurrentFile: (path) => [special("<|file_sep|>"), text(`${path}\n`)],
  stopTokens: ["<|endoftext|>", "<|file_sep|>", "<|fim_pad|>", "<|repo_name|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
  stopStrings: ["<|endoftext|>", "<|file_sep|>", "<|fim_prefix|>", "<|repo_name|>"],
};
