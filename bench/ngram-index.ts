/**
 * Main-thread cost of the n-gram (prompt-lookup) draft source per keystroke: a fresh index per
 * request (what every request did before the engine kept one index per sequence slot) against the
 * slot's index brought to the new history (`NgramIndex.sync`). The histories are real: a file of
 * this repository tokenized by the shipped target's tokenizer, typed character by character over a
 * region; each keystroke's prompt is the text before the cursor from a fixed token on, `--prompt`
 * tokens at the first keystroke (an SPM prompt's start stays put while the user types at its end). Both variants run interleaved, keystroke by
 * keystroke, with a 5 ms pause between keystrokes as while typing.
 *
 *   npx tsx bench/ngram-index.ts [--file src/requests/request-manager.ts] [--prompt 1800] [--keys 300]
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { NgramIndex } from "../src/speculation/ngram-index.js";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (n: string): string | undefined => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const file = opt("--file") ?? "src/requests/request-manager.ts";
const promptTokens = Number(opt("--prompt") ?? 1800);
const keys = Number(opt("--keys") ?? 300);

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: join(ROOT, "models/ghostline-target.gguf") });
const text = readFileSync(join(ROOT, file), "utf8");
const start = Math.floor(text.length * 0.6);
const histories: number[][] = [];
let cut = -1;
for (let i = 0; i < keys && start + i < text.length; i++) {
  const toks = model.tokenize(text.slice(0, start + i), false) as number[];
  if (cut < 0) cut = Math.max(0, toks.length - promptTokens); // the prompt's start stays put while typing
  histories.push(toks.slice(cut));
}
await model.dispose();
await llama.dispose();

const fresh: number[] = [];
const synced: number[] = [];
const slot = new NgramIndex();
let agree = 0;
for (const h of histories) {
  let t0 = performance.now();
  const a = new NgramIndex();
  a.sync(h);
  const pa = a.propose(4);
  fresh.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 5));
  t0 = performance.now();
  slot.sync(h);
  const pb = slot.propose(4);
  synced.push(performance.now() - t0);
  if (pa.join() === pb.join()) agree++;
  await new Promise((r) => setTimeout(r, 5));
}
const pct = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), node ${process.version}`);
console.log(`${histories.length} keystrokes in ${file}, prompts of ${histories[0]?.length ?? 0}–${histories.at(-1)?.length ?? 0} tokens; same proposals in ${agree} of ${histories.length}`);
console.log(`fresh index per request: p50 ${pct(fresh, 0.5).toFixed(3)} ms  p95 ${pct(fresh, 0.95).toFixed(3)} ms`);
console.log(`slot index, synced:      p50 ${pct(synced, 0.5).toFixed(3)} ms  p95 ${pct(synced, 0.95).toFixed(3)} ms`);
console.log(`ratio fresh / synced (p50): ${(pct(fresh, 0.5) / pct(synced, 0.5)).toFixed(1)}×`);
if (agree !== histories.length) process.exitCode = 1;
