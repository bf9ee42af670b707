/**
 * The fine-tune entry point runs on a small JSONL of FIM examples (the dataset export's format) and
 * produces a versioned GGUF that llama.cpp loads and completes with, plus its card.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTorch, PY } from "./python.js";
import { describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";


describe.skipIf(!hasTorch)("training/finetune.py", () => {
  it("fine-tunes the shipped target on JSONL and exports a loadable, versioned GGUF", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ft-"));
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ prefix: `function square${i}(x: number) {\n  `, suffix: "\n}\n", middle: "return x * x;", language: "typescript" }),
    );
    writeFileSync(join(dir, "sft.jsonl"), lines.join("\n") + "\n");
    const out = join(dir, "ghostline-target-test1.gguf");
    const stdout = execFileSync(
      PY,
      ["training/finetune.py", "--base", "models/ghostline-target.gguf", "--data", join(dir, "sft.jsonl"), "--out", out, "--version", "test1", "--steps", "4", "--batch", "4", "--threads", "1"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    const card = JSON.parse(stdout.trim().split("\n").at(-1)!) as { version: string; eval_middle_loss: { before: number; after: number } };
    expect(card.version).toBe("test1");
    expect(card.eval_middle_loss.after).toBeLessThan(card.eval_middle_loss.before);
    expect(existsSync(out.replace(/\.gguf$/, ".card.json"))).toBe(true);
    expect(JSON.parse(readFileSync(out.replace(/\.gguf$/, ".card.json"), "utf8")).version).toBe("test1");

    const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
    try {
      const model = await llama.loadModel({ modelPath: out });
      const ctx = await model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
      const seq = ctx.getSequence();
      const prompt = [1, ...model.tokenize("function f() {\n  ", false)] as Token[];
      const res = await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt.at(-1)!, { generateNext: { token: true } }]]);
      expect(typeof res.at(-1)?.next?.token).toBe("number");
    } finally {
      await llama.dispose();
    }
  });

  it("rejects a malformed JSONL with a clear message", () => {
    const dir = mkdtempSync(join(tmpdir(), "ft-"));
    writeFileSync(join(dir, "bad.jsonl"), '{"prefix": "a"}\n');
    let err = "";
    try {
      execFileSync(PY, ["training/finetune.py", "--base", "models/ghostline-target.gguf", "--data", join(dir, "bad.jsonl"), "--out", join(dir, "x.gguf"), "--version", "x", "--steps", "1"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toContain("expected {prefix, suffix, middle}");
  });
});
