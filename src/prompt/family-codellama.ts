import { special, text, type FamilySpec } from "./types.js";

/**
 * CodeLlama infilling: `<s><PRE> prefix <SUF>suffix <MID>` (text form, as in Meta's reference
 * `infilling_prompt`). In GGUF vocabularies the markers are `▁<PRE>`, `▁<SUF>`, `▁<MID>`, `▁<EOT>`
 * (ids 32007–32010) or the bare spellings; both are tried. Ends with `<EOT>` or EOS.
 */
export const codellamaFamily: FamilySpec = {
  family: "codellama",
  bos: true,
  layout: [
    special("<PRE>", "▁<PRE>"),
    text(" "),
    { kind: "slot", slot: "extra" },
    { kind: "slot", slot: "prefix" },
    text(" "),
    special("<SUF>", "▁<SUF>"),
    { kind: "slot", slot: "suffix" },
    text(" "),
    special("<MID>", "▁<MID>"),
  ],
  extraMode: "comment",
  stopTokens: ["<EOT>", "▁<EOT>", "</s>"],
  stopStrings: ["<EOT>", "</s>"],
};
