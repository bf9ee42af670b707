/**
 * Would an "anchored middle" complete as well as the prompt the engine builds today?
 *
 * A keystroke's first pass today evaluates the changed last prefix token and `<fim_middle>` after
 * it (SPM order: `<fim_suffix> suffix <fim_prefix> prefix <fim_middle>`), at least two positions.
 * An anchored middle keeps an earlier keystroke's prompt, `… <fim_prefix> P <fim_middle>`, and puts
 * the text typed since P after `<fim_middle>` as the start of the middle, so a keystroke would
 * evaluate one position (docs/known-issues.md, "Request lifecycle"). Training tokenises a middle
 * as a whole, so a typed fragment's last token is out of distribution where the cursor cuts a
 * word; token healing drops that token and constrains the first generated token to start with its
 * text.
 *
 * This compares, on held-out rest-of-line tasks (cursor inside a line, as while typing), greedy
 * rest-of-line completions of three layouts for anchors `j` characters before the cursor (or
 * `line`: at the start of the line's content, after its indentation):
 *   canonical  the prompt as built today (prefix up to the cursor, then `<fim_middle>`)
 *   anchored   prefix up to the anchor, `<fim_middle>`, then the typed text's tokens
 *   healed     as anchored without the typed text's last token; the first generated token must
 *              start with that token's text (which is then cut from the output)
 *   healed+    as healed, dropping the most typed tokens (up to 4) whose text some vocabulary entry
 *              starts with (`is Point L i` → `Li`): what the engine does since session 30
 * and reports exact match and edit similarity against the real rest of the line, how often each
 * layout's completion equals the canonical one and how often it is empty. The healed layout masks
 * the end-of-generation token for its first token, as the engine does (`--keep-eos`: unmasked).
 *
 *   npx tsx bench/anchored-middle.ts [--model models/ghostline-target.gguf] [--n 150] [--seed 42]
 *       [--anchors 1,2,4,8,line] [--keep-eos] [--heldout training/work/corpus/heldout.jsonl]
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type LlamaContextSequence, type LlamaModel, type Token, type TokenBias } from "node-llama-cpp";
import { createHealStrip, HEAL_BOOST, healingBias, healSplit, VocabularyPieces } from "../src/engines/llama-cpp/token-healing.js";
import { mulberry32 } from "../src/core/random.js";
import { editSimilarity, greedy, makeTasks } from "../training/eval-tasks.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: join(ROOT, "models/ghostline-target.gguf") },
    heldout: { type: "string", default: join(ROOT, "training/work/corpus/heldout.jsonl") },
    n: { type: "string", default: "150" },
    seed: { type: "string", default: "42" },
    anchors: { type: "string", default: "1,2,4,8,line" },
    threads: { type: "string", default: "1" },
    "keep-eos": { type: "boolean", default: false },
  },
});

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model: LlamaModel = await llama.loadModel({ modelPath: args.model });
const ctxSize = Math.min(model.trainContextSize, 1024);
const ctx = await model.createContext({ contextSize: ctxSize, sequences: 1, threads: Number(args.threads), flashAttention: false });
const seq: LlamaContextSequence = ctx.getSequence();
const special = (s: string): Token => model.tokenize(s, true)[0]!;
const [SUF, PRE, MID] = [special("<fim_suffix>"), special("<fim_prefix>"), special("<fim_middle>")];
const BOS = 1 as Token;
const EOS = 2 as Token;
const tok = (s: string): Token[] => model.tokenize(s, false);
const MAX_GEN = 48;

/**
 * Where a task's prompt starts: the first line start from which the prefix fits the room (as the
 * engine cuts prefixes at line starts, so that the keystrokes of one line share a prompt start).
 */
function promptStart(prefix: string, suffix: string): number {
  const room = ctxSize - MAX_GEN - 16 - tok(suffix).slice(0, 96).length - 4;
  let start = 0;
  while (tok(prefix.slice(start)).length > room) {
    const next = prefix.indexOf("\n", start);
    if (next < 0) break;
    start = next + 1;
  }
  return start;
}

/** The head of a prompt up to and including `<fim_middle>`, the prefix taken from `start`. */
function fim(prefix: string, suffix: string, start: number): Token[] {
  return [BOS, SUF, ...tok(suffix).slice(0, 96), PRE, ...tok(prefix.slice(start)), MID];
}

// The engine's healing constraint (src/engines/llama-cpp/token-healing.ts), memoised per healed text.
const pieces = VocabularyPieces.of(model);
if (!pieces.size) throw new Error("the GGUF has no tokenizer.ggml.tokens");
const biases = new Map<string, TokenBias | null>();
function healBias(text: string): TokenBias | null {
  if (!biases.has(text)) {
    const bias = healingBias(model, pieces, text);
    // --keep-eos: end-of-generation tokens unmasked (an end token then wins a fifth of the tasks)
    if (bias && args["keep-eos"]) {
      const map = (bias as unknown as { _biases: Map<number, number> })._biases;
      const eog = pieces.pieces.map((_, t) => t).filter((t) => model.isEogToken(t as Token));
      // the boost form lists the allowed entries, the mask form the others
      const boosted = [...map.values()].some((v) => v === HEAL_BOOST);
      for (const t of eog) {
        if (boosted) map.set(t, HEAL_BOOST);
        else map.delete(t);
      }
    }
    biases.set(text, bias);
  }
  return biases.get(text)!;
}

/** Greedy rest of line after `prompt`; `bias` constrains the first token. */
const greedyLine = (prompt: Token[], bias?: TokenBias): Promise<Token[]> => greedy(seq, prompt, MAX_GEN, EOS, true, model, bias);

const firstLine = (s: string): string => s.split("\n")[0]!;
const docs = readFileSync(args.heldout, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { text: string; lang: string });
// training/evaluate.ts's tasks for the same seed, its rest-of-line third
const tasks = makeTasks(docs, 3 * Number(args.n), mulberry32(Number(args.seed)))
  .filter((t) => t.kind === "rest")
  .map((t) => {
    const line = t.prefix.slice(t.prefix.lastIndexOf("\n") + 1);
    return { ...t, typedInLine: line.trimStart().length };
  });
/** Anchors: a number of characters before the cursor, or "line" (the start of the line's content). */
const anchors = args.anchors.split(",");
const charsFor = (spec: string, t: { typedInLine: number }): number => (spec === "line" ? t.typedInLine : Number(spec));
type Score = { n: number; exact: number; sim: number; sameAsCanonical: number; empty: number; firstPositions: number };
const zero = (): Score => ({ n: 0, exact: 0, sim: 0, sameAsCanonical: 0, empty: 0, firstPositions: 0 });
const scores: Record<string, Score> = { canonical: zero() };
for (const j of anchors) for (const layout of ["canonical", "anchored", "healed", "healed+"]) scores[`${layout} j=${j}`] = zero();
const add = (key: string, text: string, expected: string, canonical: string, positions: number): void => {
  const s = scores[key]!;
  s.n++;
  s.exact += text.trimEnd() === expected.trimEnd() ? 1 : 0;
  s.sim += editSimilarity(text.trimEnd(), expected.trimEnd());
  s.sameAsCanonical += text === canonical ? 1 : 0;
  s.empty += text.trim() === "" ? 1 : 0;
  s.firstPositions += positions;
};

const t0 = Date.now();
for (let i = 0; i < tasks.length; i++) {
  const t = tasks[i]!;
  const start = promptStart(t.prefix.slice(0, -t.typedInLine), t.suffix);
  const canonicalPrompt = fim(t.prefix, t.suffix, start);
  const canonical = firstLine(model.detokenize(await greedyLine(canonicalPrompt)));
  // what the keystroke before would have left in the KV cache: the prompt one character earlier
  const before = fim(t.prefix.slice(0, -1), t.suffix, start);
  let common = 0;
  while (common < before.length && before[common] === canonicalPrompt[common]) common++;
  add("canonical", canonical, t.middle, canonical, canonicalPrompt.length - common);
  for (const spec of anchors) {
    const j = charsFor(spec, t);
    if (!(j > 0 && j <= t.typedInLine)) continue;
    add(`canonical j=${spec}`, canonical, t.middle, canonical, canonicalPrompt.length - common);
    const head = fim(t.prefix.slice(0, -j), t.suffix, start);
    const typed = tok(t.prefix.slice(-j));
    const anchored = firstLine(model.detokenize(await greedyLine([...head, ...typed])));
    // positions a keystroke evaluates: the typed tokens that differ from those one character earlier
    const typedBefore = j > 1 ? tok(t.prefix.slice(-j, -1)) : [];
    let same = 0;
    while (same < typedBefore.length && typedBefore[same] === typed[same]) same++;
    add(`anchored j=${spec}`, anchored, t.middle, canonical, typed.length - same);
    const heal = pieces.pieces[typed[typed.length - 1]!]!;
    const healedOut = await greedyLine([...head, ...typed.slice(0, -1)], healBias(heal) ?? undefined);
    const healedText = model.detokenize(healedOut);
    const healed = firstLine(createHealStrip(heal)(healedText));
    // healed: the kept typed tokens that differ from those kept one character earlier; at least the
    // last kept position (or <fim_middle>) is evaluated again for its logits
    const kept = typed.slice(0, -1);
    const keptBefore = typedBefore.slice(0, -1);
    let keptSame = 0;
    while (keptSame < keptBefore.length && keptBefore[keptSame] === kept[keptSame]) keptSame++;
    add(`healed j=${spec}`, healed, t.middle, canonical, Math.max(1, kept.length - keptSame));
    // healed+: the engine's choice of tokens to heal (healSplit)
    const healable = (text: string): boolean => healBias(text) !== null;
    const detok = (ts: readonly number[]): string => model.detokenize(ts as Token[]);
    const split = healSplit(typed, t.prefix.slice(-j), detok, healable);
    const kept2 = split ? typed.slice(0, typed.length - split.count) : typed;
    const out2 = model.detokenize(await greedyLine([...head, ...kept2], split ? healBias(split.text)! : undefined));
    const healed2 = firstLine(split ? createHealStrip(split.text)(out2) : out2);
    const splitBefore = typedBefore.length ? healSplit(typedBefore, t.prefix.slice(-j, -1), detok, healable) : undefined;
    const keptBefore2 = splitBefore ? typedBefore.slice(0, typedBefore.length - splitBefore.count) : typedBefore;
    let same2 = 0;
    while (same2 < keptBefore2.length && keptBefore2[same2] === kept2[same2]) same2++;
    add(`healed+ j=${spec}`, healed2, t.middle, canonical, Math.max(1, kept2.length - same2));
  }
  const w = 30;
  process.stderr.write(`\r[${"#".repeat(Math.round(((i + 1) / tasks.length) * w)).padEnd(w, "-")}] ${i + 1}/${tasks.length}`);
}
process.stderr.write("\n");

const pct = (x: number, n: number): string => `${((x / Math.max(n, 1)) * 100).toFixed(1)} %`;
console.log(`${tasks.length} rest-of-line tasks (seed ${args.seed}), ${args.model.split("/").pop()}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log("layout            tasks  exact     edit sim  = canonical  empty    positions/keystroke");
for (const [key, s] of Object.entries(scores))
  console.log(`${key.padEnd(17)} ${String(s.n).padStart(5)}  ${pct(s.exact, s.n).padStart(7)}  ${pct(s.sim, s.n).padStart(8)}  ${pct(s.sameAsCanonical, s.n).padStart(10)}  ${pct(s.empty, s.n).padStart(7)}  ${(s.firstPositions / Math.max(s.n, 1)).toFixed(2)}`);
mkdirSync(join(ROOT, "bench/out"), { recursive: true });
writeFileSync(join(ROOT, "bench/out/anchored-middle.json"), JSON.stringify({ model: args.model, seed: args.seed, tasks: tasks.length, scores }, null, 1));
await llama.dispose();
