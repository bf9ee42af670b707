/**
 * Incremental prompt tokenization on the shipped models' real tokenizer (llama.cpp): the rule the
 * load-time check picks, and chunked tokenization equal to whole-text tokenization on windows of
 * this repository's TypeScript, Python and Markdown.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { chooseSplitRule, createJoinedTokenizer } from "../../src/prompt/index.js";
import { splitLinesKeep } from "../../src/prompt/truncate.js";

describe("split tokenizer on the shipped models", () => {
  it("covers the usual indentation and tokenizes chunked text exactly as whole text", async () => {
    const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
    try {
      for (const path of ["models/ghostline-target.gguf", "models/ghostline-draft.gguf"]) {
        const model = await llama.loadModel({ modelPath: path });
        const raw = (t: string): number[] => model.tokenize(t, false);
        const rule = chooseSplitRule(raw);
        // the tokenizer has "\n" + up to 32 spaces / 8 tabs pieces (training/tokenizer.py)
        expect(rule).toEqual({ spaces: 32, tabs: 8 });
        const joined = createJoinedTokenizer(raw, rule!);
        let windows = 0;
        for (const f of ["src/engines/llama-cpp/llama-cpp-engine.ts", "src/requests/request-manager.ts", "training/train.py", "training/data.py", "docs/performance.md"]) {
          const lines = splitLinesKeep(readFileSync(f, "utf8"));
          for (let s = 0; s < lines.length; s += 9) {
            const part = lines.slice(s, s + 50);
            expect(joined(part)).toEqual(raw(part.join("")));
            windows++;
          }
        }
        expect(windows).toBeGreaterThan(100);
        await model.dispose();
      }
    } finally {
      await llama.dispose();
    }
  });
});
