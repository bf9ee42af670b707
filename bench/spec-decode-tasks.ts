/**
 * FIM tasks for the speculative-decoding benchmark, cut from this repository's own TypeScript
 * sources (src/**\/*.ts, which the models are not trained on): the cursor at a line start, up to
 * `prefixChars` before and `suffixChars` after it. Deterministic for a given repo state.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { EngineRequest, FimInput } from "../src/core/types.js";
import { createLlamaCppEngine, type LlamaCppEngine } from "../src/engines/llama-cpp/llama-cpp-engine.js";

/** The engine the decoding benchmarks run: one sequence, speculation per request, CPU. */
export function benchEngine(o: { target: string; draft: string; threads: number }): Promise<LlamaCppEngine> {
  return createLlamaCppEngine({
    modelPath: o.target,
    draftPath: o.draft,
    threads: o.threads,
    draftThreads: 1,
    sequences: 1,
    prefillChunk: 64,
    gpu: false,
    budgets: { prefixTokens: 320, suffixTokens: 80, extraTokens: 0 },
    speculative: { enabled: false, sources: ["client", "ngram", "draft-model"], maxK: 8 },
  });
}

/** Runs one request to its end; returns the done event. */
export async function runToDone(engine: LlamaCppEngine, req: EngineRequest) {
  for await (const ev of engine.complete(req, {})) if (ev.type === "done") return ev;
  throw new Error("no done event");
}

function listTs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && statSync(p).size > 1500) out.push(p);
  }
  return out;
}

/** `n` tasks from `root`/src. */
export function benchTasks(
  root: string,
  n: number,
  prefixChars = 900,
  suffixChars = 250,
): (FimInput & { name: string })[] {
  const files = listTs(join(root, "src"));
  const tasks: (FimInput & { name: string })[] = [];
  for (let i = 0; tasks.length < n && i < files.length * 2; i++) {
    const file = files[(i * 5) % files.length]!;
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    const line = Math.floor(lines.length * (0.35 + 0.3 * ((i % 7) / 7)));
    const cut = lines.slice(0, line).join("\n").length + 1;
    if (cut < 200 || cut > text.length - 50) continue;
    tasks.push({
      name: `${relative(root, file)}:${line + 1}`,
      prefix: text.slice(Math.max(0, cut - prefixChars), cut),
      suffix: text.slice(cut, cut + suffixChars),
    });
  }
  return tasks;
}
