import { createLlamaCppEngine } from "../src/engines/llama-cpp/llama-cpp-engine.js";
import { generateTraces, listSources } from "./trace-generator.js";
const ROOT="/work/main/";
const trs = generateTraces(ROOT, listSources(ROOT+"src"), 8, 4, 7);
const engine = await createLlamaCppEngine({ modelPath: ROOT+"models/ghostline-target.gguf", draftPath: ROOT+"models/ghostline-draft.gguf", threads: 1, draftThreads: 1, sequences: 8, prefillChunk: 64, gpu: false,
  budgets: { prefixTokens: 1024, suffixTokens: 256, extraTokens: 512 }, speculative: { enabled: true, sources: ["client","ngram","draft-model"], maxK: 8 } });
const t0 = performance.now();
const n = Number(process.argv[2] ?? 8);
await Promise.all(trs.slice(0, n).map(async (tr, k) => {
  const pre = tr.initialText.slice(0, tr.cursor), suf = tr.initialText.slice(tr.cursor);
  let first = -1;
  for await (const ev of engine.complete({ tenant: "t", affinityKey: "a"+k, fim: { prefix: pre, suffix: suf }, sampling: { temperature: 0, topP: 1, topK: 0 }, stop: { maxTokens: 8, stop: [], mode: "none" }, speculative: { enabled: true, sources: ["client","ngram","draft-model"], maxK: 8 } }, {})) {
    if (ev.type === "delta") { if (first < 0) first = performance.now() - t0; } else console.log(k, "first", first.toFixed(1), "total", (performance.now()-t0).toFixed(1), ev.stopReason, ev.usage.promptTokens, ev.usage.promptTokensEvaluated);
  }
}));
console.log("all done", (performance.now()-t0).toFixed(0), JSON.stringify(engine.stats()));
await engine.close();
