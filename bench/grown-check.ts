/**
 * Checks a grown stand-in (bench/grown-standin.py) against the model it was grown from: greedy
 * completions of the same FIM tasks (cut from this repo's src/**\/*.ts), text compared, and the
 * decode time per token of each, side by side in one run.
 *
 *   npx tsx bench/grown-check.ts [--tasks N] [--max-tokens N] [--threads N] [--src models/ghostline-target.gguf] [--grown bench/out/grown-target.gguf]
 * Exits 1 when fewer than --min-same (default 0.9) of the completions match.
 */
import os from "node:os";
import { join } from "node:path";
import type { EngineRequest } from "../src/core/types.js";
import { benchEngine, benchTasks, runToDone } from "./spec-decode-tasks.js";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : undefined;
};
const nTasks = Number(opt("--tasks") ?? 12);
const maxTokens = Number(opt("--max-tokens") ?? 32);
const threads = Number(opt("--threads") ?? 1);
const minSame = Number(opt("--min-same") ?? 0.9);
const SRC = opt("--src") ?? join(ROOT, "models/ghostline-target.gguf");
const GROWN = opt("--grown") ?? join(ROOT, "bench/out/grown-target.gguf");
const DRAFT = join(ROOT, "models/ghostline-draft.gguf");

async function completions(model: string): Promise<{ texts: string[]; tokens: number; decodeMs: number }> {
  const engine = await benchEngine({ target: model, draft: DRAFT, threads });
  const tasks = benchTasks(ROOT, nTasks);
  const texts: string[] = [];
  let tokens = 0, decodeMs = 0;
  for (const [i, task] of tasks.entries()) {
    const req: EngineRequest = {
      tenant: "bench",
      affinityKey: `bench:${i}`,
      fim: { prefix: task.prefix, suffix: task.suffix },
      sampling: { temperature: 0, topP: 1, topK: 0, seed: 0 },
      stop: { maxTokens, stop: [], mode: "none" },
      speculative: { enabled: false },
    };
    const r = await runToDone(engine, req);
    texts.push(r.text);
    // after the first token only: the first decode pass also carries the prompt's last chunk
    const t = r.usage.timings;
    if (r.usage.completionTokens > 1) {
      decodeMs += t.decodeMs - (t.firstTokenMs - t.queueMs - t.prefillMs);
      tokens += r.usage.completionTokens - 1;
    }
    process.stderr.write(`\r${model.split("/").pop()}: ${i + 1}/${tasks.length}`);
  }
  process.stderr.write("\n");
  await engine.close();
  return { texts, tokens, decodeMs };
}

const a = await completions(SRC);
const b = await completions(GROWN);
const same = a.texts.filter((t, i) => t === b.texts[i]).length;
const row = (name: string, r: typeof a) =>
  `${name.padEnd(40)} ${String(r.tokens).padStart(6)} later tokens  ${(r.decodeMs / Math.max(1, r.tokens)).toFixed(2).padStart(7)} ms/token after the first`;
console.log(`${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, threads ${threads}, ${a.texts.length} tasks, greedy, ≤ ${maxTokens} tokens`);
console.log(row(SRC.split("/").pop()!, a));
console.log(row(GROWN.split("/").pop()!, b));
console.log(`same completion text: ${same} / ${a.texts.length}`);
a.texts.forEach((t, i) => {
  if (t !== b.texts[i]) console.log(`  task ${i}: ${JSON.stringify(t)} vs ${JSON.stringify(b.texts[i])}`);
});
if (same < minSame * a.texts.length) process.exit(1);
