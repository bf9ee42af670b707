import type { FimInput } from "../core/types.js";
import { commentSnippet, lineComment } from "./comment-syntax.js";
import { checkBudget, familySpec, repoNameOf } from "./families.js";
import { keepEndChars, keepStartChars } from "./truncate.js";
import type { CharBudget, FimFamily, Segment, TextPrompt } from "./types.js";

/**
 * Renders `family`'s FIM template as a plain string for remote engines (vLLM, SGLang,
 * llama-server), which tokenize it themselves (their tokenizers parse the control-token spellings).
 * The prefix keeps its end and the suffix its start within the character budgets; extra
 * snippets are included in order while they fit `extraChars`. BOS is left to the server.
 */
export function renderTextPrompt(family: FimFamily, input: FimInput, budgetChars: CharBudget): TextPrompt {
  const spec = familySpec(family);
  const pre = keepEndChars(input.prefix, checkBudget("prefixChars", budgetChars.prefixChars));
  const suf = keepStartChars(input.suffix, checkBudget("suffixChars", budgetChars.suffixChars));
  const prefix = pre.text;
  const suffix = suf.text;
  const extra = renderExtra(family, input, checkBudget("extraChars", budgetChars.extraChars));
  const plain = (segs: readonly Segment[]): string =>
    segs
      .map((s) => (s.kind === "special" ? s.names[0]! : s.kind === "text" ? s.text : s.slot === "prefix" ? prefix : s.slot === "suffix" ? suffix : extra))
      .join("");
  return { prompt: plain(spec.layout), stop: [...spec.stopStrings], truncated: pre.truncated || suf.truncated };
}

function renderExtra(family: FimFamily, input: FimInput, budget: number): string {
  const spec = familySpec(family);
  const extras = input.extra ?? [];
  if (extras.length === 0 || budget <= 0) return "";
  const plain = (segs: readonly Segment[]): string => segs.map((s) => (s.kind === "special" ? s.names[0]! : s.kind === "text" ? s.text : "")).join("");
  const parts: string[] = [];
  let left = budget;
  if (spec.extraMode === "repo" && spec.repoChunk && spec.repoCurrentFile) {
    const head = spec.repoHeader ? plain(spec.repoHeader(repoNameOf(input.filepath))) : "";
    const tail = plain(spec.repoCurrentFile(input.filepath ?? "untitled"));
    left -= head.length + tail.length;
    for (const e of extras) {
      const chunk = plain(spec.repoChunk(e));
      if (chunk.length <= left) {
        parts.push(chunk);
        left -= chunk.length;
        continue;
      }
      if (left > 32) parts.push(keepStartChars(chunk, left).text);
      break;
    }
    return parts.length > 0 ? head + parts.join("") + tail : "";
  }
  const marker = lineComment(input.language, input.filepath);
  for (const e of extras) {
    const chunk = commentSnippet(e.filepath, e.text, marker);
    if (chunk.length <= left) {
      parts.push(chunk);
      left -= chunk.length;
      continue;
    }
    if (left > 32) parts.push(keepStartChars(chunk, left).text);
    break;
  }
  return parts.join("");
}
