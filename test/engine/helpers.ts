/**
 * Shared helpers of the engine tests: request factory, stream collection, FIM tasks sliced from
 * this repository's own sources.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { EngineEvent, EngineRequest, FimInput, Usage } from "../../src/core/types.js";
import { createLlamaCppEngine, type LlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const TARGET = join(ROOT, "models/ghostline-target.gguf");
export const DRAFT = join(ROOT, "models/ghostline-draft.gguf");

/** A greedy request with speculation off; override anything. */
export function makeRequest(fim: FimInput, over: Partial<EngineRequest> = {}): EngineRequest {
  return {
    tenant: "t1",
    affinityKey: "t1:doc",
    fim,
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: 16, stop: [], mode: "none" },
    speculative: { enabled: false },
    ...over,
  };
}

/** The result of one completion. */
export interface Collected {
  deltas: string[];
  text: string;
  stopReason: string;
  usage: Usage;
}

/** Runs a completion to its done event. `onDelta` may abort. */
export async function collect(
  engine: LlamaCppEngine,
  req: EngineRequest,
  opts: { signal?: AbortSignal; onDelta?: (e: EngineEvent) => void } = {},
): Promise<Collected> {
  const deltas: string[] = [];
  for await (const ev of engine.complete(req, opts.signal ? { signal: opts.signal } : {})) {
    if (ev.type === "delta") {
      deltas.push(ev.text);
      opts.onDelta?.(ev);
    } else return { deltas, text: ev.text, stopReason: ev.stopReason, usage: ev.usage };
  }
  throw new Error("stream ended without a done event");
}

function listFiles(dir: string, ext: string[], out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, ext, out);
    else if (ext.some((e) => name.endsWith(e)) && !name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/**
 * `n` deterministic FIM tasks cut from this repo's own src/**\/*.ts and training/*.py: the cursor
 * sits at a line start; prefix/suffix are limited to `prefixChars`/`suffixChars`.
 */
export function repoFimTasks(
  n: number,
  prefixChars = 600,
  suffixChars = 200,
): (FimInput & { name: string })[] {
  const files = [
    ...listFiles(join(ROOT, "src"), [".ts"]),
    ...listFiles(join(ROOT, "training"), [".py"]),
  ].filter((f) => statSync(f).size > 800);
  const tasks: (FimInput & { name: string })[] = [];
  for (let i = 0; tasks.length < n && i < files.length * 3; i++) {
    const file = files[(i * 7) % files.length]!;
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    const line = Math.floor(lines.length * (0.3 + 0.4 * (((i * 37) % 10) / 10)));
    const cut = lines.slice(0, line).join("\n").length + 1;
    if (cut < 100 || cut >= text.length - 20) continue;
    tasks.push({
      name: `${relative(ROOT, file)}:${line + 1}`,
      prefix: text.slice(Math.max(0, cut - prefixChars), cut),
      suffix: text.slice(cut, cut + suffixChars),
      filepath: relative(ROOT, file),
    });
  }
  return tasks;
}

/**
 * The first of `tasks` whose plain greedy completion is at least `minTokens` long. Tests of
 * stopping and of replayed drafts need a completion with some length; which repo slice gives one
 * depends on the shipped weights and on the repository's files, so it is looked up, not fixed.
 */
export async function taskWithLongOutput<T extends FimInput>(
  engine: LlamaCppEngine,
  tasks: T[],
  minTokens: number,
  maxTokens = 24,
): Promise<{ task: T; plain: Collected }> {
  for (const task of tasks) {
    const plain = await collect(
      engine,
      makeRequest(
        { prefix: task.prefix, suffix: task.suffix },
        { tenant: "probe", affinityKey: "probe:doc", stop: { maxTokens, stop: [], mode: "none" } },
      ),
    );
    if (plain.usage.completionTokens >= minTokens) return { task, plain };
  }
  throw new Error(`none of ${tasks.length} tasks has a greedy completion of ${minTokens}+ tokens`);
}

/**
 * The shipped target and draft on one sequence (every request runs on slot 0, so its KV state can
 * be compared after each run), speculation off unless a request turns it on. With speculation on,
 * a first pass always drafts the healed token (`healDraft: "always"`: "auto" decides by measured
 * pass times, which a test must not depend on).
 */
export function createOneSlotEngine(budgets: { anchorLine?: boolean } = {}): Promise<LlamaCppEngine> {
  return createLlamaCppEngine({
    modelPath: TARGET,
    draftPath: DRAFT,
    threads: 1,
    draftThreads: 1,
    sequences: 1,
    prefillChunk: 64,
    gpu: false,
    budgets: { prefixTokens: 200, suffixTokens: 60, extraTokens: 0, ...budgets },
    speculative: { enabled: false, sources: ["client", "ngram", "draft-model"], maxK: 8, healDraft: "always" },
  });
}
