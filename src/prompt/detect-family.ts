import type { FimFamily } from "./types.js";

/** What detectFamily looks at: GGUF `general.name`, `general.architecture` and a vocabulary probe. */
export interface FamilyProbe {
  name?: string;
  architecture?: string;
  /** True when the vocabulary has this exact piece (control tokens included). */
  hasToken: (text: string) => boolean;
}

/**
 * Chooses the FIM family of a model from its GGUF metadata and vocabulary. Vocabulary evidence
 * wins over names (a fine-tune keeps its base's tokens); names break the ties: `<fim_prefix>` is
 * shared by Ghostline's and StarCoder's vocabularies, so "ghostline*" names pick Ghostline.
 * Without FIM tokens the family is "generic".
 */
export function detectFamily(meta: FamilyProbe): FimFamily {
  const name = (meta.name ?? "").toLowerCase();
  const has = (t: string): boolean => {
    try {
      return meta.hasToken(t);
    } catch {
      return false;
    }
  };
  if (has("<fim_prefix>") && has("<fim_suffix>") && has("<fim_middle>")) {
    return name.startsWith("ghostline") ? "ghostline" : "starcoder";
  }
  if (has("<|fim_prefix|>") && has("<|fim_suffix|>") && has("<|fim_middle|>")) return "qwen";
  if (has("<｜fim▁begin｜>") && has("<｜fim▁hole｜>") && has("<｜fim▁end｜>")) return "deepseek";
  if ((has("▁<PRE>") && has("▁<SUF>") && has("▁<MID>")) || (has("<PRE>") && has("<SUF>") && has("<MID>"))) return "codellama";
  return "generic";
}

/**
 * Guesses the family from a model name alone (remote engines: the served model id).
 * Returns "generic" when nothing matches.
 */
export function familyFromModelName(model: string | undefined): FimFamily {
  const m = (model ?? "").toLowerCase();
  if (m.includes("ghostline")) return "ghostline";
  if (m.includes("qwen")) return "qwen";
  if (m.includes("deepseek")) return "deepseek";
  if (m.includes("starcoder")) return "starcoder";
  if (m.includes("codellama") || m.includes("code-llama") || m.includes("code_llama")) return "codellama";
  return "generic";
}
