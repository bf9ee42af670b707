/**
 * What asking for the first position's top tokens costs (the lookahead's alternatives,
 * src/speculation/target-evaluator.ts): a one-position pass with the greedy sampler against the
 * same pass sampled through top-k with the top-k probabilities returned, interleaved pass by pass
 * on the same prompt position; median and p90 milliseconds, and whether the top-k argmax is the
 * greedy token at every pass. Run it on the shipped model and on a 151,936-entry stand-in
 * (bench/large-vocab-standin.py):
 *
 *   npx tsx bench/first-top.ts [--model models/ghostline-target.gguf] [--passes 300] [--top-k 8] [--threads 1]
 */
import os from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const ROOT = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: join(ROOT, "models/ghostline-target.gguf") },
    passes: { type: "string", default: "300" },
    "top-k": { type: "string", default: "8" },
    threads: { type: "string", default: "1" },
  },
});
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: args.model });
const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: Number(args.threads), flashAttention: false });
const seq = ctx.getSequence();
const topK = Number(args["top-k"]);
const prompt = model.tokenize("import { readFileSync } from 'node:fs';\nexport function main(args: string[]) {\n  const text = readFileSync(args[0], 'utf8');\n  return text.split('\\n').map((line) => line.trim()", false);
await seq.controlledEvaluate(prompt.slice(0, -1));
const last = prompt[prompt.length - 1]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const times = { greedy: [] as number[], top: [] as number[] };
let same = 0;
let greedyToken = -1;
const passes = Number(args.passes);
for (let i = 0; i < passes; i++) {
  for (const kind of i % 2 ? (["top", "greedy"] as const) : (["greedy", "top"] as const)) {
    const at = seq.nextTokenIndex;
    const t0 = process.hrtime.bigint();
    const [out] = await seq.controlledEvaluate([
      [last, { generateNext: kind === "greedy" ? { token: true } : { probabilities: true, options: { temperature: 1, topK } } }],
    ]);
    times[kind].push(ms(t0));
    await seq.eraseContextTokenRanges([{ start: at, end: seq.nextTokenIndex }]);
    if (kind === "greedy") greedyToken = out?.next.token ?? -1;
    else {
      const ranked = [...(out?.next.probabilities ?? new Map()).entries()].sort((a, b) => b[1] - a[1]);
      if (ranked[0]?.[0] === greedyToken) same++;
    }
  }
}
const row = (k: "greedy" | "top") => `median ${quantile(times[k], 0.5).toFixed(3)} ms, p90 ${quantile(times[k], 0.9).toFixed(3)} ms`;
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${basename(args.model)}, ${passes} passes each, threads ${args.threads}`);
console.log(`greedy token:            ${row("greedy")}`);
console.log(`top-${topK} probabilities:     ${row("top")}  (${(quantile(times.top, 0.5) / quantile(times.greedy, 0.5)).toFixed(2)}× the greedy median)`);
console.log(`top-k argmax = greedy token in ${same} of ${passes} passes`);
await llama.dispose();
