/**
 * llama.cpp ↔ PyTorch parity of the shipped models: identical tokenization (SentencePiece in Python
 * vs llama.cpp's tokenizer reading the GGUF) and identical greedy continuations (PyTorch rebuilt
 * from the GGUF file's own weights). f16 weights make llama.cpp and PyTorch round differently, so a
 * position may differ only where PyTorch's own top-2 logits are within a hair (gap < 0.05).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTorch, PY } from "./python.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";


const TEXTS = [
  "def foo(x):\n    if x:\n        return x + 1\n\n\n    return None\n",
  "export function add(a: number, b: number): number {\n\treturn a + b;\n}\n",
  "const s = `héllo 世界 ${name}` // émoji 🚀\n",
  "<fim_prefix> is text here, not a control token <s></s>\n",
  "x = [1, 2, 3]\r\n    \t  y = {'k': 0x1F}\n" + " ".repeat(40) + "z\n\n\n\n",
  readFileSync("training/data.py", "utf8").slice(0, 3000),
  readFileSync("src/core/errors.ts", "utf8").slice(0, 3000),
];

const PROMPTS = [
  "import os\nimport sys\n\n\ndef main():\n    ",
  "function fibonacci(n) {\n  if (n < 2) return n;\n  return ",
  "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        ",
  "const express = require('express');\nconst app = express();\n\napp.get('/', (req, res) => {\n  ",
  "export interface User {\n  id: string;\n  name: string;\n",
  "for (let i = 0; i < items.length; i++) {\n    ",
];

describe.skipIf(!hasTorch)("parity: llama.cpp vs PyTorch on the shipped models", () => {
  let llama: Llama;
  const models: Record<string, LlamaModel> = {};
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
    for (const name of ["target", "draft"]) {
      models[name] = await llama.loadModel({ modelPath: `models/ghostline-${name}.gguf` });
    }
  });
  afterAll(async () => {
    await llama?.dispose();
  });

  for (const name of ["target", "draft"]) {
    it(`${name}: tokenization and greedy continuations match`, async () => {
      const model = models[name]!;
      const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
      const seq = ctx.getSequence();
      const sequences: { prompt: Token[]; generated: Token[] }[] = [];
      for (const p of PROMPTS) {
        await seq.clearHistory();
        const prompt = [1, ...model.tokenize(p, false)] as Token[];
        const generated: Token[] = [];
        let res = await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt.at(-1)!, { generateNext: { token: true } }]]);
        let next = res.at(-1)?.next?.token;
        while (next != null && generated.length < 24) {
          generated.push(next);
          res = await seq.controlledEvaluate([[next, { generateNext: { token: true } }]]);
          next = res[0]?.next?.token;
        }
        sequences.push({ prompt, generated });
      }
      await ctx.dispose();
      const dir = mkdtempSync(join(tmpdir(), "parity-"));
      writeFileSync(join(dir, "in.json"), JSON.stringify({ texts: TEXTS, sequences }));
      const out = JSON.parse(
        execFileSync(PY, ["training/parity.py", "--gguf", `models/ghostline-${name}.gguf`, "--tokenizer", "models/ghostline-tokenizer.model", "--in", join(dir, "in.json")], {
          encoding: "utf8",
          maxBuffer: 64 << 20,
        }),
      ) as { tokens: number[][]; sequences: { argmax: number[]; gap: number[] }[] };
      TEXTS.forEach((t, i) => expect(Array.from(model.tokenize(t, false)), `tokens of text ${i}`).toEqual(out.tokens[i]));
      let positions = 0;
      let exact = 0;
      sequences.forEach((s, i) => {
        const py = out.sequences[i]!;
        expect(py.argmax).toHaveLength(s.generated.length);
        s.generated.forEach((tok, j) => {
          positions++;
          if (py.argmax[j] === tok) exact++;
          else expect(py.gap[j], `prompt ${i} position ${j}: llama.cpp chose ${tok}, PyTorch ${py.argmax[j]}`).toBeLessThan(0.05);
        });
      });
      expect(positions).toBeGreaterThan(100);
      expect(exact / positions).toBeGreaterThan(0.9);
    });
  }
});
