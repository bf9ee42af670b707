import { createLlamaCppEngine } from "./src/engines/llama-cpp/llama-cpp-engine.js";
const eng = await createLlamaCppEngine({ modelPath: "models/ghostline-target.gguf", threads: 1, draftThreads: 1, sequences: 1, prefillChunk: 64, gpu: false, budgets: { prefixTokens: 300, suffixTokens: 80, extraTokens: 0 }, speculative: { enabled: false, sources: [], maxK: 4 } });
const fim = { prefix: "import { x } from './y.js';\nexport function add(a: number, b: number) {\n  return ", suffix: ";\n}\n" };
for (let i = 0; i < 40; i++) {
  for await (const ev of eng.complete({ tenant: "a", affinityKey: "a", fim, sampling: { temperature: 0, topP: 1, topK: 0 }, stop: { maxTokens: 40, stop: [], mode: "none" }, speculative: { enabled: true, sources: ["ngram"], k: 8 } }, {}))
    if (ev.type === "done" && i % 10 === 0) console.log("engine ms/token", (ev.usage.timings.decodeMs / ev.usage.completionTokens).toFixed(2), JSON.stringify(ev.usage.speculative));
}
await eng.close();
