/**
 * Weight formats side by side: the cost of one target pass of 1, 2, 5 and 9 positions and of plain
 * greedy decoding, for several GGUF files of the same model (f16 vs q8_0, …) loaded in one process
 * and measured round-robin, so drift of a shared machine hits every file alike.
 *
 *   npx tsx bench/weights-ab.ts --models a.gguf,b.gguf [--rounds 200] [--threads 1] [--gen 32]
 *
 * Each round, for each file in turn: every pass size once (evaluated after a 300-token prompt cut
 * from this repository's src/, erased again), then one greedy generation of --gen tokens from that
 * prompt (after one untimed pass). Prints medians and p10–p90 per file and the ratio of each
 * median to that of the first file of the same model (general.name), and whether their greedy text
 * matched;
 * writes bench/out/weights-ab.json.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative } from "node:path";
import { percentile } from "../src/experiments/stats.js";
import { getLlama, LlamaLogLevel, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const models = (opt("--models") ?? "").split(",").filter(Boolean);
if (models.length === 0) {
  console.error("usage: npx tsx bench/weights-ab.ts --models a.gguf,b.gguf [--rounds N] [--threads N] [--gen N]");
  process.exit(2);
}
const rounds = Number(opt("--rounds") ?? 200);
const threads = Number(opt("--threads") ?? 1);
const gen = Number(opt("--gen") ?? 32);
const SIZES = [1, 2, 5, 9];

const quantile = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);

async function main() {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const text = readFileSync(join(ROOT, "src/speculation/speculative-decoder.ts"), "utf8");
  interface Loaded {
    path: string;
    name: string;
    model: LlamaModel;
    ctx: LlamaContext;
    seq: LlamaContextSequence;
    prompt: Token[];
    base: number;
    passes: Map<number, number[]>;
    tokPerS: number[];
    generated: string;
  }
  const loaded: Loaded[] = [];
  for (const path of models) {
    const model = await llama.loadModel({ modelPath: path });
    const ctx = await model.createContext({ contextSize: Math.min(512, model.trainContextSize), sequences: 1, threads, flashAttention: false });
    const seq = ctx.getSequence();
    const prompt = [model.tokens.bos ?? 1, ...model.tokenize(text, false).slice(0, 300)] as Token[];
    await seq.controlledEvaluate(prompt.slice(0, -1));
    const name = String((model.fileInfo.metadata.general as { name?: string } | undefined)?.name ?? path);
    loaded.push({ path, name, model, ctx, seq, prompt, base: seq.nextTokenIndex, passes: new Map<number, number[]>(SIZES.map((n) => [n, []])), tokPerS: [] as number[], generated: "" });
  }
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const m of loaded) {
      const last = m.prompt[m.prompt.length - 1]!;
      // one untimed pass first: the other files' turns have just evicted this one's weights from the caches
      await m.seq.controlledEvaluate([[last, { generateNext: { token: true } }]]);
      await m.seq.eraseContextTokenRanges([{ start: m.base, end: m.seq.nextTokenIndex }]);
      for (const n of SIZES) {
        const items = [last, ...m.prompt.slice(1, n)].map((t) => [t, { generateNext: { token: true } }] as [Token, { generateNext: { token: true } }]);
        const t0 = performance.now();
        await m.seq.controlledEvaluate(items);
        m.passes.get(n)!.push(performance.now() - t0);
        await m.seq.eraseContextTokenRanges([{ start: m.base, end: m.seq.nextTokenIndex }]);
      }
      // plain greedy decoding, one token per pass, as the engine's K = 0 loop does
      let input = last;
      const out: Token[] = [];
      const t0 = performance.now();
      for (let i = 0; i < gen; i++) {
        const res = await m.seq.controlledEvaluate([[input, { generateNext: { token: true } }]]);
        const t = res[0]?.next.token;
        if (t === undefined || t === null) break;
        out.push(t);
        input = t;
      }
      const ms = performance.now() - t0;
      if (out.length > 0) m.tokPerS.push((out.length / ms) * 1000);
      if (r === 0) m.generated = m.model.detokenize(out);
      await m.seq.eraseContextTokenRanges([{ start: m.base, end: m.seq.nextTokenIndex }]);
    }
    if (process.stderr.isTTY || r % 20 === 0) {
      const frac = (r + 1) / rounds;
      process.stderr.write(`\r[${"#".repeat(Math.round(frac * 30)).padEnd(30, ".")}] round ${r + 1}/${rounds}`);
    }
  }
  process.stderr.write("\n");
  // ratios and the greedy-text check are against the first file of the same model (general.name)
  const firstOf = (m: Loaded) => loaded.find((x) => x.name === m.name)!;
  const stat = (xs: number[]) => ({ median: +quantile(xs, 0.5).toFixed(3), p10: +quantile(xs, 0.1).toFixed(3), p90: +quantile(xs, 0.9).toFixed(3) });
  /** Speed of `m` relative to `first` by median: pass1..pass9 and greedy (> 1: `m` is faster). */
  const ratios = (m: Loaded, first: Loaded): Record<string, number> => {
    const r: Record<string, number> = {};
    for (const n of SIZES) r[`pass${n}`] = +(quantile(first.passes.get(n)!, 0.5) / quantile(m.passes.get(n)!, 0.5)).toFixed(3);
    r.greedy = +(quantile(m.tokPerS, 0.5) / quantile(first.tokPerS, 0.5)).toFixed(3);
    return r;
  };
  const rows = loaded.map((m) => ({ m, first: firstOf(m) })).map(({ m, first }) => ({
    file: m.path,
    bytes: statSync(m.path).size,
    passMs: Object.fromEntries(SIZES.map((n) => [n, stat(m.passes.get(n)!)])),
    greedyTokensPerSecond: stat(m.tokPerS),
    ratioToFirst: ratios(m, first),
    comparedWith: first.path,
    sameGreedyTextAsFirst: m.generated === first.generated,
  }));
  const cpu = os.cpus();
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: cpu[0]?.model ?? "unknown", cores: cpu.length, node: process.version, threads, loadavg: os.loadavg().map((v) => +v.toFixed(2)) },
    rounds,
    gen,
    rows,
    wallSeconds: +((performance.now() - started) / 1000).toFixed(1),
  };
  mkdirSync(join(ROOT, "bench/out"), { recursive: true });
  writeFileSync(join(ROOT, "bench/out/weights-ab.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`machine: ${result.machine.cpu}, ${result.machine.cores} cores, threads ${threads}; ${rounds} rounds, round-robin`);
  console.log("file                                MB    pass1 ms  pass2 ms  pass5 ms  pass9 ms   greedy tok/s   speed vs the first file of that model (pass1 / greedy)");
  for (const r of rows)
    console.log(
      `${relative(process.cwd(), r.file).padEnd(34)} ${(r.bytes / 1e6).toFixed(1).padStart(4)} ${SIZES.map((n) => r.passMs[n]!.median.toFixed(2).padStart(9)).join(" ")}   ${r.greedyTokensPerSecond.median.toFixed(0).padStart(6)} (${r.greedyTokensPerSecond.p10.toFixed(0)}–${r.greedyTokensPerSecond.p90.toFixed(0)})   ${r.ratioToFirst.pass1!.toFixed(2)}× / ${r.ratioToFirst.greedy!.toFixed(2)}×${r.sameGreedyTextAsFirst ? "" : "  (greedy text differs from the first file's)"}`,
    );
  console.log(`wrote bench/out/weights-ab.json in ${result.wallSeconds} s`);
  for (const m of loaded) {
    await m.ctx.dispose();
    await m.model.dispose();
  }
  await llama.dispose();
}

await main();
