/**
 * Sampled vs greedy decoding cost per token, side by side in one run: plain greedy, plain sampling
 * (temperature 0.8, top-k and top-p off: the whole vocabulary stays in play) and sampling with
 * n-gram + client drafts, interleaved per task on FIM tasks cut from this repo's src/**\/*.ts.
 * Since 2026-12-07, sampling with point-mass drafts (none, n-gram, client) lets llama.cpp draw each
 * position's token; before, every position asked node-llama-cpp for a probability map with one
 * entry per vocabulary token. The ratio sampled / greedy shows what sampling costs per token.
 *
 *   npx tsx bench/sampled-decode.ts [--quick] [--tasks N] [--max-tokens N] [--reps N] [--threads N] [--top-k N] [--greedy-only] [--json]
 *   GHOSTLINE_BENCH_TARGET=other.gguf npx tsx bench/sampled-decode.ts   (any GGUF, e.g. a large vocabulary)
 */
import os from "node:os";
import { join } from "node:path";
import type { EngineRequest, SamplingParams, SpeculativeOptions } from "../src/core/types.js";
import { benchEngine, benchTasks, runToDone } from "./spec-decode-tasks.js";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes("--quick"); // CI smoke: 3 tasks × 24 tokens, once
const nTasks = flag("--tasks", quick ? 3 : 12);
const maxTokens = flag("--max-tokens", quick ? 24 : 48);
const reps = flag("--reps", quick ? 1 : 3);
const threads = flag("--threads", 1);
const TARGET = process.env.GHOSTLINE_BENCH_TARGET ?? join(ROOT, "models/ghostline-target.gguf");
const DRAFT = process.env.GHOSTLINE_BENCH_DRAFT ?? join(ROOT, "models/ghostline-draft.gguf");

const GREEDY: SamplingParams = { temperature: 0, topP: 1, topK: 0 };
// --top-k N: the sampled configs' top-k (default 0: off, the whole vocabulary in play)
const SAMPLED: SamplingParams = { temperature: 0.8, topP: 1, topK: flag("--top-k", 0) };
// Requests carry a seed, except the last config's: with a seed the draft model proposes greedy
// tokens verified as point masses (the output is then plain sampling's with that seed); without
// one, at a top-k of at most 64, it samples its proposals, verified by the rejection acceptor
// with both models' probability maps (docs/speculative-decoding.md).
const ALL_CONFIGS: { label: string; sampling: SamplingParams; speculative: Partial<SpeculativeOptions>; unseeded?: true }[] = [
  { label: "greedy, plain", sampling: GREEDY, speculative: { enabled: false } },
  { label: "sampled, plain", sampling: SAMPLED, speculative: { enabled: false } },
  { label: "sampled, ngram + client drafts", sampling: SAMPLED, speculative: { enabled: true, sources: ["ngram", "client"] } },
  { label: "sampled, draft model (k 3)", sampling: SAMPLED, speculative: { enabled: true, sources: ["draft-model"], k: 3 } },
  { label: "sampled, draft model, no seed", sampling: SAMPLED, speculative: { enabled: true, sources: ["draft-model"], k: 3 }, unseeded: true },
];
// --greedy-only: plain greedy decoding alone (no sampled runs in between, whose garbage changes
// when the garbage collector runs: see bench/sampler-pool.ts)
const CONFIGS = args.includes("--greedy-only") ? ALL_CONFIGS.slice(0, 1) : ALL_CONFIGS;


async function main() {
  const engine = await benchEngine({ target: TARGET, draft: DRAFT, threads });
  const tasks = benchTasks(ROOT, nTasks);
  const totals = CONFIGS.map(() => ({ tokens: 0, decodeMs: 0, proposed: 0, accepted: 0 }));
  let done = 0;
  for (const [ti, task] of tasks.entries()) {
    const base = (c: (typeof CONFIGS)[number], seed: number, clientDraft?: string): EngineRequest => ({
      tenant: "bench",
      affinityKey: "bench:doc",
      fim: { prefix: task.prefix, suffix: task.suffix },
      sampling: c.unseeded ? c.sampling : { ...c.sampling, seed },
      stop: { maxTokens, stop: [], mode: "none" },
      speculative: { ...c.speculative, enabled: c.speculative.enabled ?? false },
      ...(clientDraft ? { clientDraft } : {}),
    });
    const warm = await runToDone(engine, base(CONFIGS[0]!, 0)); // prefill, not measured (decodeMs only)
    for (let rep = 0; rep < reps; rep++) {
      // configs interleaved: the machine's drift hits each alike
      for (const [ci, c] of CONFIGS.entries()) {
        const r = await runToDone(engine, base(c, 1000 * ti + rep, warm.text));
        totals[ci]!.tokens += r.usage.completionTokens;
        totals[ci]!.decodeMs += r.usage.timings.decodeMs;
        const spec = r.usage.speculative;
        for (const n of Object.values(spec?.proposed ?? {})) totals[ci]!.proposed += n;
        for (const n of Object.values(spec?.accepted ?? {})) totals[ci]!.accepted += n;
      }
      process.stderr.write(`\r[${"#".repeat(Math.round((30 * ++done) / (tasks.length * reps))).padEnd(30, ".")}] ${done}/${tasks.length * reps}`);
    }
  }
  process.stderr.write("\n");
  await engine.close();
  const perToken = totals.map((t) => t.decodeMs / Math.max(1, t.tokens));
  console.log(`target ${TARGET}, ${tasks.length} tasks × ${reps}, ≤ ${maxTokens} tokens, threads ${threads}, sampled: temperature ${SAMPLED.temperature}, top-k ${SAMPLED.topK}; ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`);
  console.log("config                            tokens  ms/token  vs greedy  drafts accepted");
  CONFIGS.forEach((c, i) => {
    const t = totals[i]!;
    const drafts = t.proposed > 0 ? `${t.accepted}/${t.proposed} (${((100 * t.accepted) / t.proposed).toFixed(0)} %)` : "–";
    console.log(`${c.label.padEnd(32)} ${String(t.tokens).padStart(7)} ${perToken[i]!.toFixed(3).padStart(9)} ${(perToken[i]! / perToken[0]!).toFixed(2).padStart(9)}×  ${drafts}`);
  });
  // --json: one more line for bench/sampler-pool.ts, which runs this benchmark in child processes
  if (args.includes("--json")) console.log(JSON.stringify({ msPerToken: Object.fromEntries(CONFIGS.map((c, i) => [c.label, perToken[i]])) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
