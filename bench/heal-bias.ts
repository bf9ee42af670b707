/**
 * What the healing constraint costs on a keystroke's path, in its two forms side by side
 * (src/engines/llama-cpp/token-healing.ts): the mask form (-Infinity on every vocabulary entry that
 * does not start with the healed text) and the form the engine picks (+HEAL_BOOST on the entries
 * that do, unless they are more than half of the vocabulary).
 *
 * Healed texts come from typing repository files: at every character of a line's content, the
 * last token of the content typed so far is what the engine would heal. Reports
 *   - the time to index the vocabulary (once per engine) and to build a constraint per healed text,
 *     and the constraint's entries (what node-llama-cpp copies at every pass, and what the engine's
 *     512-entry cache holds);
 *   - a one-position pass (the keystroke's first pass of a line-anchored prompt) without a
 *     constraint and with either form, interleaved pass by pass, the constraint changing at every
 *     pass as it does from keystroke to keystroke; median and p90 milliseconds;
 *   - whether both forms chose the same token at every pass (greedy).
 * and the heap each cached constraint takes (the engine caches 512). The first --distinct healed
 * texts are used.
 * Run it on the shipped model and on a 151,936-entry stand-in (bench/large-vocab-standin.py):
 *
 *   npx tsx bench/heal-bias.ts [--model models/ghostline-target.gguf] [--passes 600] [--distinct 100] [--threads 1]
 *   python3 bench/large-vocab-standin.py --out bench/out/large-vocab.gguf
 *   npx tsx bench/heal-bias.ts --model bench/out/large-vocab.gguf
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type Token, type TokenBias } from "node-llama-cpp";
import { healingBias, VocabularyPieces } from "../src/engines/llama-cpp/token-healing.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: join(ROOT, "models/ghostline-target.gguf") },
    passes: { type: "string", default: "600" },
    // constraints built per form: the mask form of a 151,936-entry vocabulary is ~10 MB of heap each
    distinct: { type: "string", default: "100" },
    threads: { type: "string", default: "1" },
    files: { type: "string", default: "src/requests/request-manager.ts,src/server/app.ts,src/feedback/service.ts" },
  },
});

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: args.model });
const ctx = await model.createContext({ contextSize: 1024, sequences: 1, threads: Number(args.threads), flashAttention: false });
const seq = ctx.getSequence();
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const entries = (b: TokenBias | null) => (b as unknown as { _biases: Map<number, number> } | null)?._biases.size ?? 0;

// healed texts, in typing order
const texts: string[] = [];
for (const file of args.files.split(",")) {
  for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
    const content = line.trimStart();
    for (let i = 1; i <= content.length && texts.length < 5000; i++) {
      const typed = model.tokenize(content.slice(0, i), false);
      const text = model.detokenize(typed.slice(-1), false, typed.slice(0, -1));
      if (text) texts.push(text);
    }
  }
}

let t0 = process.hrtime.bigint();
const vocab = VocabularyPieces.of(model);
const indexMs = ms(t0);
const allDistinct = new Set(texts).size;
const distinct = [...new Set(texts)].slice(0, Number(args.distinct));
const built: Record<"mask" | "smaller", Map<string, TokenBias | null>> = { mask: new Map(), smaller: new Map() };
const buildMs: Record<"mask" | "smaller", number[]> = { mask: [], smaller: [] };
const heapPer: Record<"mask" | "smaller", number> = { mask: 0, smaller: 0 };
for (const form of ["smaller", "mask"] as const) {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  for (const text of distinct) {
    t0 = process.hrtime.bigint();
    built[form].set(text, healingBias(model, vocab, text, form));
    buildMs[form].push(ms(t0));
  }
  global.gc?.();
  heapPer[form] = (process.memoryUsage().heapUsed - heap0) / distinct.length;
}
const usable = texts.filter((t) => built.smaller.get(t));

// a FIM prompt like a keystroke's: the file's head as prefix, a short suffix
const src = readFileSync(join(ROOT, args.files.split(",")[0]!), "utf8");
const special = (s: string): Token => model.tokenize(s, true)[0]!;
const prompt = [
  special("<fim_suffix>"),
  ...model.tokenize(src.slice(2000, 2300), false),
  special("<fim_prefix>"),
  ...model.tokenize(src.slice(0, 1500), false),
  special("<fim_middle>"),
].slice(0, 900);
await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
const base = seq.nextTokenIndex;
const last = prompt[prompt.length - 1]!;

const arms = ["none", "mask", "smaller"] as const;
const passMs: Record<(typeof arms)[number], number[]> = { none: [], mask: [], smaller: [] };
let same = 0;
let compared = 0;
const passes = Number(args.passes);
process.stderr.write(`${passes} passes × 3 arms`);
for (let i = 0; i < passes; i++) {
  const text = usable[i % usable.length]!;
  const chosen: Partial<Record<string, number | undefined>> = {};
  for (let a = 0; a < arms.length; a++) {
    const arm = arms[(a + i) % arms.length]!; // rotate the order so no arm always follows another
    const tokenBias = arm === "none" ? undefined : built[arm].get(text)!;
    t0 = process.hrtime.bigint();
    const [out] = await seq.controlledEvaluate([[last, { generateNext: { token: true, options: { tokenBias } } }]]);
    passMs[arm].push(ms(t0));
    chosen[arm] = out?.next.token ?? undefined;
    await seq.eraseContextTokenRanges([{ start: base, end: seq.nextTokenIndex }]);
  }
  compared++;
  if (chosen.mask === chosen.smaller) same++;
  if (i % 50 === 49) process.stderr.write(` ${i + 1}`);
}
process.stderr.write("\n");

const e = { mask: distinct.map((t) => entries(built.mask.get(t)!)), smaller: distinct.map((t) => entries(built.smaller.get(t)!)) };
console.log(`model ${basename(args.model)} (vocabulary ${vocab.size}), threads ${args.threads}; ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`);
console.log(`healed texts: ${texts.length} keystrokes, ${allDistinct} distinct, the first ${distinct.length} used; vocabulary index built in ${indexMs.toFixed(1)} ms`);
console.log("form      build ms median / p90   entries median / p90 / max   heap per constraint   1-position pass ms median / p90   vs none");
const none = quantile(passMs.none, 0.5);
console.log(`none      ${"–".padStart(22)}   ${"–".padStart(26)}   ${"–".padStart(19)}   ${none.toFixed(3).padStart(14)} / ${quantile(passMs.none, 0.9).toFixed(3)}`);
for (const form of ["mask", "smaller"] as const) {
  const b = `${quantile(buildMs[form], 0.5).toFixed(3)} / ${quantile(buildMs[form], 0.9).toFixed(3)}`;
  const n = `${quantile(e[form], 0.5)} / ${quantile(e[form], 0.9)} / ${Math.max(...e[form])}`;
  const p = quantile(passMs[form], 0.5);
  const heap = heapPer[form] > 1e6 ? `${(heapPer[form] / 1e6).toFixed(1)} MB` : `${(heapPer[form] / 1e3).toFixed(1)} kB`;
  console.log(`${form.padEnd(8)}  ${b.padStart(22)}   ${n.padStart(26)}   ${heap.padStart(19)}   ${p.toFixed(3).padStart(14)} / ${quantile(passMs[form], 0.9).toFixed(3)}   ${(p / none).toFixed(2)}×`);
}
console.log(`same token from both forms: ${same} of ${compared} passes`);
await ctx.dispose();
await model.dispose();
