/**
 * What drafting the healed token on the first pass buys (src/speculation/speculative-decoder.ts,
 * DecodeOptions.firstDraft): the typing traces' keystrokes are sent to the llama.cpp engine on the
 * shipped models, each twice, once with speculation on and no draft source (the first pass then
 * drafts the dropped token of token healing; no other draft is made on a first pass) and once with
 * speculation off (plain decoding), on two sequences of their own (each keeps its document's KV
 * state from keystroke to keystroke, as a typing session does). Keystrokes are `--gap-ms` apart,
 * as typing pauses are (the first pass after a pause is the slow one), the arms' order alternates.
 * Reports the time from the call to the first visible text (the first delta) per arm, how many
 * first texts needed more than one pass, and whether both arms gave the same text.
 *
 *   npx tsx bench/heal-draft.ts [--trace-file traces.json] [--keys 40] [--gap-ms 100] [--max-tokens 8] [--threads 1]
 *                               [--target GGUF --draft GGUF] [--heal-draft always|auto]
 *
 * --target / --draft: other models than the shipped ones, e.g. the real-size stand-in of
 * bench/grown-standin.py (the shipped model's completions at a 0.5 B-parameter model's cost per pass).
 * --heal-draft: the draft arm's engine setting (config speculative.healDraft): "always" (default)
 * measures what the draft does; "auto" what the engine does by default, which drafts only while the
 * measured first-pass costs say it pays.
 */
import os from "node:os";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { llamaPromptBudgets } from "../src/cli/engine-factory.js";
import { ConfigSchema } from "../src/config/schema.js";
import type { EngineRequest } from "../src/core/types.js";
import { createLlamaCppEngine } from "../src/engines/llama-cpp/llama-cpp-engine.js";
import { generateTraces, listSources, type TypingTrace } from "./trace-generator.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    "trace-file": { type: "string" },
    keys: { type: "string", default: "40" },
    "gap-ms": { type: "string", default: "100" },
    "max-tokens": { type: "string", default: "8" },
    threads: { type: "string", default: "1" },
    target: { type: "string", default: join(ROOT, "models/ghostline-target.gguf") },
    draft: { type: "string", default: join(ROOT, "models/ghostline-draft.gguf") },
    "heal-draft": { type: "string", default: "always" },
  },
});
const keys = Number(args.keys);
const healDraft = args["heal-draft"];
if (healDraft !== "always" && healDraft !== "auto") throw new Error("--heal-draft must be always or auto");
const gapMs = Number(args["gap-ms"]);
const traces: TypingTrace[] = args["trace-file"] ? (JSON.parse(readFileSync(args["trace-file"], "utf8")) as TypingTrace[]) : generateTraces(ROOT, listSources(join(ROOT, "src")), 8, 4, 7);
const config = ConfigSchema.parse({});
const engine = await createLlamaCppEngine({
  modelPath: args.target,
  draftPath: args.draft,
  threads: Number(args.threads),
  draftThreads: 1,
  sequences: 2,
  prefillChunk: config.engine.prefillChunk,
  gpu: false,
  budgets: llamaPromptBudgets(config), // the server's defaults: line-anchored middle with token healing
  speculative: { enabled: true, sources: [], maxK: 4, healDraft },
});

type Arm = "heal draft" | "plain";
const arms: Arm[] = ["heal draft", "plain"];
const firstMs: Record<Arm, number[]> = { "heal draft": [], plain: [] };
const texts: Record<Arm, string[]> = { "heal draft": [], plain: [] };
let drafted = 0;
let accepted = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One completion; returns ms to the first delta (undefined: no text) and the done event's text. */
async function run(arm: Arm, prefix: string, suffix: string, doc: number): Promise<void> {
  const req: EngineRequest = {
    tenant: "bench",
    affinityKey: `${arm}-${doc}`,
    fim: { prefix, suffix },
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: Number(args["max-tokens"]), stop: [], mode: "none" },
    speculative: arm === "plain" ? { enabled: false } : { enabled: true, sources: [] },
  };
  const t0 = performance.now();
  let first: number | undefined;
  for await (const ev of engine.complete(req, {})) {
    if (ev.type === "delta" && first === undefined) first = performance.now() - t0;
    if (ev.type !== "done") continue;
    texts[arm].push(ev.text);
    if (first !== undefined) firstMs[arm].push(first);
    const s = ev.usage.speculative;
    if (arm === "heal draft" && s) {
      drafted += s.proposed.heal ?? 0;
      accepted += s.accepted.heal ?? 0;
    }
  }
}

let done = 0;
const total = traces.reduce((n, t) => n + Math.min(keys, t.events.length), 0);
for (const [doc, t] of traces.entries()) {
  let text = t.initialText;
  for (const ev of t.events.slice(0, keys)) {
    text = text.slice(0, ev.offset - ev.deleteCount) + ev.text + text.slice(ev.offset);
    const cursor = ev.offset - ev.deleteCount + ev.text.length;
    for (const arm of done % 2 ? [...arms].reverse() : arms) {
      await sleep(gapMs);
      await run(arm, text.slice(0, cursor), text.slice(cursor), doc);
    }
    done++;
    if (done % 20 === 0 || done === total) process.stderr.write(`\r[${"#".repeat(Math.round((done / total) * 30)).padEnd(30, ".")}] ${done}/${total} keystrokes`);
  }
}
process.stderr.write("\n");
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const same = texts.plain.filter((x, i) => x === texts["heal draft"][i]).length;
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${basename(args.target)}, threads ${args.threads}, heal draft ${healDraft}, ${done} keystrokes ${gapMs} ms apart, max ${args["max-tokens"]} tokens`);
for (const arm of arms) console.log(`${arm.padEnd(10)} first text: p25 ${q(firstMs[arm], 0.25).toFixed(2)}  p50 ${q(firstMs[arm], 0.5).toFixed(2)}  p75 ${q(firstMs[arm], 0.75).toFixed(2)}  p90 ${q(firstMs[arm], 0.9).toFixed(2)} ms  (${firstMs[arm].length} with text)`);
console.log(`heal draft / plain, p50 ${(q(firstMs["heal draft"], 0.5) / q(firstMs.plain, 0.5)).toFixed(2)}, p75 ${(q(firstMs["heal draft"], 0.75) / q(firstMs.plain, 0.75)).toFixed(2)}, p90 ${(q(firstMs["heal draft"], 0.9) / q(firstMs.plain, 0.9)).toFixed(2)}`);
// where the draft was accepted, the model re-created the typed token exactly: plain decoding's first
// text came from its second pass there
console.log(`healed token drafted on ${drafted} of ${done} first passes, accepted on ${accepted} (there plain decoding's first text needed a second pass)`);
console.log(`same text in both arms: ${same} of ${texts.plain.length}`);
await engine.close();
