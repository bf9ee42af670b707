import { special, text, type FamilySpec } from "./types.js";

/**
 * StarCoder / StarCoder2: PSM `<fim_prefix>prefix<fim_suffix>suffix<fim_middle>`, no BOS.
 * StarCoder2's repository format `<repo_name>name<file_sep>path\ntext<file_sep>current\n<fim_prefix>…`
 * is used when the vocabulary has `<file_sep>` (the token builder falls back to comments otherwise).
 * Ends with `<|endoftext|>` or `<file_sep>`.
 */
export const starcoderFamily: FamilySpec = {
  family: "starcoder",
  bos: false,
  layout: [
    { kind: "slot", slot: "extra" },
    special("<fim_prefix>"),
    { kind: "slot", slot: "prefix" },
    special("<fim_suffix>"),
    { kind: "slot", slot: "suffix" },
    special("<fim_middle>"),
  ],
  extraMode: "repo",
  repoHeader: (name) => [special("<repo_name>"), text(name)],
  repoChunk: (e) => [special("<file_sep>"), text(`${e.filepath}\n${e.text}${e.text.endsWith("\n") ? "" : "\n"}`)],
  repoCurrentFile: (path) => [special("<file_sep>"), text(`${path}\n`)],
  stopTokens: ["<|endoftext|>", "<file_sep>", "<fim_pad>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<repo_name>"],
  stopStrings: ["<|endoftext|>", "<file_sep>", "<fim_prefix>", "<repo_name>"],
};
