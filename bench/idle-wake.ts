/**
 * How much slower is a decode pass after the machine idled? The typing-trace benchmark's first
 * pass of each keystroke follows a 80–200 ms typing pause, and on this machine it costs ~1.6
 * decode steps instead of one. This measures the same 2-token pass (the usual "new prompt token +
 * <fim_middle>" of a keystroke) on the shipped target right after other passes, and after an idle
 * gap of 5, 20 and 100 ms (timer sleep), and after 100 ms of a busy main thread. Then two ways of
 * keeping the machine warm during a 100 ms pause: reading the GGUF file (its page cache) every
 * 20 ms, and a 1-token pass on another sequence every 20 or 5 ms (its own cost is printed too).
 *
 *   npx tsx bench/idle-wake.ts [--model models/ghostline-target.gguf] [--reps 12]
 */
import { join } from "node:path";
import { openSync, readSync, statSync } from "node:fs";
import os from "node:os";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (n: string): string | undefined => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const modelPath = opt("--model") ?? join(ROOT, "models/ghostline-target.gguf");
const reps = Number(opt("--reps") ?? 12);

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const ctx = await model.createContext({ contextSize: Math.min(512, model.trainContextSize), sequences: 2, threads: 1, flashAttention: false, batchSize: 64 });
const seq = ctx.getSequence();
const other = ctx.getSequence();
const toks = model.tokenize("import { readFileSync } from 'node:fs';\nexport function main(args: string[]) {\n  const x = 1;\n".repeat(8), false).slice(0, 420);
await seq.controlledEvaluate(toks.slice(0, 380));
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

async function measure(pause: (() => Promise<void>) | undefined): Promise<number> {
  const times: number[] = [];
  for (let k = 0; k < reps; k++) {
    for (let i = 0; i < 8; i++) await seq.controlledEvaluate([[toks[380 + i]!, { generateNext: { token: true } }]]);
    await seq.eraseContextTokenRanges([{ start: 379, end: seq.nextTokenIndex }]);
    await pause?.();
    const t0 = performance.now();
    await seq.controlledEvaluate([toks[379]!, [toks[380]!, { generateNext: { token: true } }]]);
    times.push(performance.now() - t0);
    await seq.eraseContextTokenRanges([{ start: 379, end: seq.nextTokenIndex }]);
  }
  return median(times);
}

const sleep = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms));
const rows: [string, number][] = [];
const warm = await measure(undefined);
rows.push(["right after other passes", warm]);
for (const ms of [5, 20, 100]) rows.push([`after ${ms} ms idle`, await measure(sleep(ms))]);
rows.push([
  "after 100 ms of a busy main thread",
  await measure(async () => {
    const until = performance.now() + 100;
    while (performance.now() < until);
  }),
]);
// Keeping warm during a 100 ms pause: `work` every `every` ms (its own time is collected).
const keepWarm = (every: number, work: () => Promise<void> | void, spent: number[]) => async () => {
  const end = performance.now() + 100;
  while (performance.now() < end - every) {
    await sleep(every)();
    const t0 = performance.now();
    await work();
    spent.push(performance.now() - t0);
  }
  await sleep(end - performance.now())();
};
const fd = openSync(modelPath, "r");
const size = statSync(modelPath).size;
const chunk = Buffer.alloc(64 * 1024);
const readFile = (): void => {
  for (let off = 0; off < size; off += chunk.length) readSync(fd, chunk, 0, chunk.length, off);
};
await other.controlledEvaluate(toks.slice(0, 16));
const otherPass = async (): Promise<void> => {
  await other.controlledEvaluate([[toks[16]!, { generateNext: { token: true } }]]);
  await other.eraseContextTokenRanges([{ start: 16, end: other.nextTokenIndex }]);
};
for (const [label, every, work] of [
  ["100 ms idle, file read every 20 ms", 20, readFile],
  ["100 ms idle, other pass every 20 ms", 20, otherPass],
  ["100 ms idle, other pass every 5 ms", 5, otherPass],
] as const) {
  const spent: number[] = [];
  const ms = await measure(keepWarm(every, work, spent));
  rows.push([`${label} (each ${median(spent).toFixed(2)} ms)`, ms]);
}
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${modelPath.split("/").pop()}, median of ${reps}`);
for (const [label, ms] of rows) console.log(`${label.padEnd(56)} ${ms.toFixed(2)} ms  (${(ms / warm).toFixed(2)}×)`);
await llama.dispose();
