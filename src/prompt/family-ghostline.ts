import { special, type FamilySpec } from "./types.js";

/**
 * Ghostline's own models (training/data.py): SPM order
 * `<s> <fim_suffix> suffix <fim_prefix> prefix <fim_middle> middle </s>`, so typing at the cursor
 * only appends tokens and the KV cache of the whole prompt stays reusable. Not trained with
 * `<file_sep>` contexts: extra context goes in as comment lines at the start of the prefix.
 */
export const ghostlineFamily: FamilySpec = {
  family: "ghostline",
  bos: true,
  layout: [
    special("<fim_suffix>"),
    { kind: "slot", slot: "suffix" },
    special("<fim_prefix>"),
    { kind: "slot", slot: "extra" },
    { kind: "slot", slot: "prefix" },
    special("<fim_middle>"),
  ],
  extraMode: "comment",
  stopTokens: ["</s>", "<file_sep>", "<fim_pad>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"],
  stopStrings: ["</s>", "<file_sep>", "<fim_prefix>", "<fim_suffix>"],
};
