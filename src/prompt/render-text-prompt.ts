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
  if (spec.extraMode === "repo" && spec.repoChunk && spec.repoCurrentFile) {
    const head = spec.repoHeader ? plain(spec.repoHeader(repoNameOf(input.filepath))) : "";
    const tail = plain(spec.repoCurrentFile(input.filepath ?? "untitled"));
    const repoChunk = spec.repoChunk;
    const parts = fitChunks(extras.map((e) => plain(repoChunk(e))), budget - head.length - tail.length);
    return parts.length > 0 ? head + parts.join("") + tail : "";
  }
  const marker = lineComment(input.language, input.filepath);
  return fitChunks(extras.map((e) => commentSnippet(e.filepath, e.text, marker)), budget).join("");
}

/** Chunks in order while they fit `budget` characters; the first that doesn't is cut to the rest (if > 32 chars). */
function fitChunks(chunks: readonly string[], budget: number): string[] {
  const parts: string[] = [];
  let left = budget;
  for (const chunk of chunks) {
    if (chunk.length <= left) {
      parts.push(chunk);
      left -= chunk.length;
      continue;
    }
    if (left > 32) parts.push(keepStartChars(chunk, left).text);
    break;
  }
  return parts;
}
