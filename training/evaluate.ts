/**
 * Held-out evaluation of shipped GGUF models through llama.cpp (node-llama-cpp), i.e. exactly what
 * the server runs:
 *   - single-line infill: one whole line (after its indentation) is the middle; exact match of the
 *     generated line, and edit similarity
 *   - multi-line infill: 2–5 whole lines are the middle; exact match and edit similarity
 *   - rest-of-line infill: the cursor sits at a random point inside a line's content and the middle
 *     is the rest of that line (what an IDE asks for while the user types); exact match and edit
 *     similarity. Reported beside, never instead of, whole-line single-line infill. Scored on the
 *     usual prompt (prefix up to the cursor): the model's own skill, comparable across model
 *     versions. Scored again as the server lays such prompts out (`rest_of_line_served`):
 *     line-anchored with token healing (requests.anchorLine) — the prefix ends where the line's
 *     content starts, the typed content follows `<fim_middle>` without its healed tokens, and the
 *     first generated token must start with their text (src/engines/llama-cpp/token-healing.ts);
 *     bench/anchored-middle.ts compares more layouts on the same tasks.
 *   - draft/target greedy agreement: fraction of target-greedy tokens the draft predicts too
 *     (teacher-forced on the target's output) — the greedy speculative acceptance rate
 *
 *   npx tsx training/evaluate.ts [--target models/ghostline-target.gguf] [--draft models/ghostline-draft.gguf]
 *       [--heldout training/work/corpus/heldout.jsonl] [--n 200] [--out training/work/eval.json]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { mulberry32 } from "../src/core/random.js";
import { createHealStrip, healingBias, healSplit, VocabularyPieces } from "../src/engines/llama-cpp/token-healing.js";
import { editSimilarity, greedy, makeTasks, type Task } from "./eval-tasks.js";

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "models/ghostline-target.gguf" },
    draft: { type: "string", default: "models/ghostline-draft.gguf" },
    heldout: { type: "string", default: "training/work/corpus/heldout.jsonl" },
    n: { type: "string", default: "300" },
    seed: { type: "string", default: "42" },
    out: { type: "string", default: "training/work/eval.json" },
    threads: { type: "string", default: "2" },
  },
});


function fimTokens(model: LlamaModel, t: Pick<Task, "prefix" | "suffix">, maxPrompt: number): Token[] {
  const id = (s: string) => model.tokenize(s, true)[0]!;
  const suffix = model.tokenize(t.suffix, false).slice(0, 96);
  let prefix = model.tokenize(t.prefix, false);
  const room = maxPrompt - suffix.length - 4;
  if (prefix.length > room) prefix = prefix.slice(prefix.length - room);
  return [1 as Token, id("<fim_suffix>"), ...suffix, id("<fim_prefix>"), ...prefix, id("<fim_middle>")];
}

/**
 * A rest-of-line task as the server prompts it (requests.anchorLine): the line-anchored prompt
 * with its healed tokens dropped, the constraint on the first token, and the healed text (cut
 * from the output). Without typed content or a fitting entry: the anchored prompt unhealed.
 */
function servedPrompt(model: LlamaModel, vocab: VocabularyPieces, t: Task, maxPrompt: number) {
  const line = t.prefix.slice(t.prefix.lastIndexOf("\n") + 1);
  const typed = line.trimStart();
  const typedTokens = typed ? model.tokenize(typed, false) : [];
  const head = fimTokens(model, { prefix: t.prefix.slice(0, t.prefix.length - typed.length), suffix: t.suffix }, maxPrompt - typedTokens.length);
  const split = healSplit(typedTokens, typed, (ts) => model.detokenize(ts as Token[]), (text) => vocab.startingWith(text).length > 0);
  if (!split) return { prompt: [...head, ...typedTokens], healed: "" };
  const bias = healingBias(model, vocab, split.text) ?? undefined;
  return { prompt: [...head, ...typedTokens.slice(0, typedTokens.length - split.count)], bias, healed: split.text };
}

async function main() {
  const threads = Number(args.threads);
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const target = await llama.loadModel({ modelPath: args.target });
  const draft = args.draft ? await llama.loadModel({ modelPath: args.draft }) : undefined;
  const ctxSize = Math.min(target.trainContextSize, 1024);
  const tctx = await target.createContext({ contextSize: ctxSize, sequences: 1, threads });
  const dctx = draft ? await draft.createContext({ contextSize: ctxSize, sequences: 1, threads }) : undefined;
  const tseq = tctx.getSequence();
  const dseq = dctx?.getSequence();
  const docs = readFileSync(args.heldout, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { text: string; lang: string });
  const tasks = makeTasks(docs, Number(args.n), mulberry32(Number(args.seed)));
  const eos = 2;
  const acc = { line: { n: 0, exact: 0, sim: 0 }, multi: { n: 0, exact: 0, sim: 0 }, rest: { n: 0, exact: 0, sim: 0 }, served: { n: 0, exact: 0, sim: 0 } };
  const vocab = VocabularyPieces.of(target);
  const byLang: Record<string, { n: number; exact: number }> = {};
  let agree = 0;
  let agreeN = 0;
  const t0 = Date.now();
  const examples: object[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    const maxGen = t.kind === "multi" ? 128 : 48;
    const prompt = fimTokens(target, t, ctxSize - maxGen - 2);
    const gen = await greedy(tseq, prompt, maxGen, eos, t.kind !== "multi", target);
    let text = target.detokenize(gen);
    if (t.kind !== "multi") text = text.split("\n")[0]!;
    const exact = text.trimEnd() === t.middle.trimEnd();
    const sim = editSimilarity(text.trimEnd(), t.middle.trimEnd());
    acc[t.kind].n++;
    acc[t.kind].exact += exact ? 1 : 0;
    acc[t.kind].sim += sim;
    if (t.kind === "rest") {
      const served = servedPrompt(target, vocab, t, ctxSize - maxGen - 2);
      const out = target.detokenize(await greedy(tseq, served.prompt, maxGen, eos, true, target, served.bias));
      const servedText = createHealStrip(served.healed)(out).split("\n")[0]!;
      acc.served.n++;
      acc.served.exact += servedText.trimEnd() === t.middle.trimEnd() ? 1 : 0;
      acc.served.sim += editSimilarity(servedText.trimEnd(), t.middle.trimEnd());
    }
    if (t.kind === "line") {
      const l = (byLang[t.lang] ??= { n: 0, exact: 0 });
      l.n++;
      l.exact += exact ? 1 : 0;
    }
    if (examples.length < 12) examples.push({ kind: t.kind, expected: t.middle, got: text, exact });
    if (dseq && gen.length > 0) {
      await dseq.clearHistory();
      const seqTokens = [...prompt, ...gen];
      const res = await dseq.controlledEvaluate(seqTokens.map((tok, j) => (j >= prompt.length - 1 && j < seqTokens.length - 1 ? [tok, { generateNext: { token: true } }] : tok)) as never);
      for (let j = prompt.length - 1; j < seqTokens.length - 1; j++) {
        agreeN++;
        if (res[j]?.next?.token === seqTokens[j + 1]) agree++;
      }
    }
    const done = i + 1;
    const w = 30;
    process.stderr.write(`\r[${"#".repeat(Math.round((done / tasks.length) * w)).padEnd(w, "-")}] ${done}/${tasks.length} line EM ${((acc.line.exact / Math.max(acc.line.n, 1)) * 100).toFixed(1)}%`);
  }
  process.stderr.write("\n");
  const report = {
    target: args.target,
    draft: args.draft,
    tasks: tasks.length,
    seconds: (Date.now() - t0) / 1000,
    single_line: { n: acc.line.n, exact_match: acc.line.exact / Math.max(acc.line.n, 1), edit_similarity: acc.line.sim / Math.max(acc.line.n, 1) },
    multi_line: { n: acc.multi.n, exact_match: acc.multi.exact / Math.max(acc.multi.n, 1), edit_similarity: acc.multi.sim / Math.max(acc.multi.n, 1) },
    rest_of_line: { n: acc.rest.n, exact_match: acc.rest.exact / Math.max(acc.rest.n, 1), edit_similarity: acc.rest.sim / Math.max(acc.rest.n, 1) },
    rest_of_line_served: { n: acc.served.n, exact_match: acc.served.exact / Math.max(acc.served.n, 1), edit_similarity: acc.served.sim / Math.max(acc.served.n, 1) },
    single_line_by_language: Object.fromEntries(Object.entries(byLang).map(([k, v]) => [k, { n: v.n, exact_match: v.exact / v.n }])),
    draft_target_greedy_agreement: agreeN ? agree / agreeN : null,
    agreement_tokens: agreeN,
    examples,
  };
  writeFileSync(args.out, JSON.stringify(report, null, 1));
  console.log(JSON.stringify({ ...report, examples: undefined }, null, 1));
  await llama.dispose();
}

await main();
