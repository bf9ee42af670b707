import { GhostlineError } from "../core/errors.js";
import { codellamaFamily } from "./family-codellama.js";
import { deepseekFamily } from "./family-deepseek.js";
import { genericFamily } from "./family-generic.js";
import { ghostlineFamily } from "./family-ghostline.js";
import { qwenFamily } from "./family-qwen.js";
import { starcoderFamily } from "./family-starcoder.js";
import type { FamilySpec, FimFamily } from "./types.js";

const SPECS: Record<FimFamily, FamilySpec> = {
  ghostline: ghostlineFamily,
  qwen: qwenFamily,
  deepseek: deepseekFamily,
  starcoder: starcoderFamily,
  codellama: codellamaFamily,
  generic: genericFamily,
};

/** The template of `family`; throws invalid_request for an unknown name. */
export function familySpec(family: FimFamily): FamilySpec {
  const spec = (SPECS as Record<string, FamilySpec | undefined>)[family];
  if (!spec) throw new GhostlineError("invalid_request", `Unknown FIM family "${String(family)}"`, { details: { field: "family" } });
  return spec;
}

/** The repository name shown in repo-level templates: the first folder of a relative path, else "workspace". */
export function repoNameOf(filepath: string | undefined): string {
  if (!filepath || filepath.startsWith("/") || !filepath.includes("/")) return "workspace";
  return filepath.split("/")[0] || "workspace";
}

/** Validates a numeric budget field (integer ≥ 0). */
export function checkBudget(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new GhostlineError("invalid_request", `${name} must be an integer ≥ 0`, { details: { field: name } });
  return v;
}
