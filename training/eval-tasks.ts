/**
 * The held-out infill tasks, the greedy decoding and the edit similarity of training/evaluate.ts,
 * shared with the benchmarks that score completions the same way (bench/anchored-middle.ts).
 */
import type { LlamaContextSequence, LlamaModel, Token, TokenBias } from "node-llama-cpp";

/** 1 - Levenshtein distance / max length (1 = identical). */
export function editSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const n = a.length;
  const m = b.length;
  if (!n || !m) return 0;
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[m]! / Math.max(n, m);
}

export interface Task {
  kind: "line" | "multi" | "rest";
  lang: string;
  prefix: string;
  suffix: string;
  middle: string;
}

export function makeTasks(docs: { text: string; lang: string }[], n: number, rnd: () => number): Task[] {
  const tasks: Task[] = [];
  let guard = 0;
  while (tasks.length < n && guard++ < n * 50) {
    const doc = docs[Math.floor(rnd() * docs.length)]!;
    const lines = doc.text.split("\n");
    if (lines.length < 12) continue;
    const kind: Task["kind"] = (["line", "multi", "rest"] as const)[tasks.length % 3]!;
    const li = 5 + Math.floor(rnd() * (lines.length - 10));
    const line = lines[li]!;
    const indent = line.length - line.trimStart().length;
    const content = line.slice(indent);
    if (content.trim().length < 6 || content.length > 120) continue;
    if (/^(\/\/|#|\*|\/\*)/.test(content.trim())) continue; // comments are not application code
    const before = lines.slice(0, li).join("\n") + "\n" + line.slice(0, indent);
    if (kind === "line") {
      tasks.push({ kind, lang: "", prefix: before, suffix: "\n" + lines.slice(li + 1).join("\n"), middle: content });
    } else if (kind === "rest") {
      const cut = 1 + Math.floor(rnd() * (content.length - 1)); // at least one character typed, at least one left
      tasks.push({ kind, lang: "", prefix: before + content.slice(0, cut), suffix: "\n" + lines.slice(li + 1).join("\n"), middle: content.slice(cut) });
    } else {
      const count = 2 + Math.floor(rnd() * 4);
      const mid = [content, ...lines.slice(li + 1, li + count)].join("\n");
      if (mid.length > 400) continue;
      tasks.push({ kind, lang: "", prefix: before, suffix: "\n" + lines.slice(li + count).join("\n"), middle: mid });
    }
    tasks[tasks.length - 1]!.lang = doc.lang;
  }
  return tasks;
}

/**
 * Greedy decoding of `prompt` on a cleared `seq` (its last token is evaluated with the first
 * output) until `eos`, `maxTokens` or, with `stopAtNewline`, a newline; `firstBias` constrains
 * the first token (token healing).
 */
export async function greedy(
  seq: LlamaContextSequence,
  prompt: Token[],
  maxTokens: number,
  eos: number,
  stopAtNewline: boolean,
  model: LlamaModel,
  firstBias?: TokenBias,
): Promise<Token[]> {
  await seq.clearHistory();
  const out: Token[] = [];
  const first = firstBias ? { token: true, options: { temperature: 0, tokenBias: firstBias } } : { token: true };
  let res = await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt[prompt.length - 1]!, { generateNext: first }]]);
  let next = res[res.length - 1]?.next?.token;
  while (next !== undefined && next !== null && next !== eos && out.length < maxTokens) {
    out.push(next);
    if (stopAtNewline && model.detokenize(out).includes("\n")) break;
    res = await seq.controlledEvaluate([[next, { generateNext: { token: true } }]]);
    next = res[0]?.next?.token;
  }
  return out;
}
