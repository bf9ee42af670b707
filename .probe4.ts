import { createLlamaCppEngine } from "./src/engines/llama-cpp/llama-cpp-engine.js";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
const eng = await createLlamaCppEngine({ modelPath: "models/ghostline-target.gguf", threads: 1, draftThreads: 1, sequences: 1, prefillChunk: 64, gpu: false, budgets: { prefixTokens: 300, suffixTokens: 80, extraTokens: 0 }, speculative: { enabled: false, sources: [], maxK: 4 } });
const fim = { prefix: "import { x } from './y.js';\nexport function add(a: number, b: number) {\n  return ", suffix: ";\n}\n" };
for (let i = 0; i < 5; i++) {
  for await (const ev of eng.complete({ tenant: "a", affinityKey: "a", fim, sampling: { temperature: 0, topP: 1, topK: 0 }, stop: { maxTokens: 40, stop: [], mode: "none" }, speculative: { enabled: false } }, {}))
    if (ev.type === "done") console.log("engine ms/token", (ev.usage.timings.decodeMs / ev.usage.completionTokens).toFixed(2), ev.usage.completionTokens);
}
await eng.close();
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: "models/ghostline-target.gguf" });
const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
const seq = ctx.getSequence();
await seq.controlledEvaluate([1, ...model.tokenize(fim.prefix, false)] as Token[]);
for (let r = 0; r < 3; r++) {
  let t = 9 as Token;
  const t0 = performance.now();
  for (let i = 0; i < 40; i++) {
    const o = await seq.controlledEvaluate([[t, { generateNext: { token: true } }]]);
    t = o[0]!.next.token!;
  }
  console.log("raw ms/token", ((performance.now() - t0) / 40).toFixed(2));
  await seq.eraseContextTokenRanges([{ start: seq.nextTokenIndex - 40, end: seq.nextTokenIndex }]);
}
