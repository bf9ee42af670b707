/**
 * training/quantize.py re-encodes a GGUF's matrices (the shipped models are its q8_0 output). These
 * checks pin what the shipped files rely on: ggml's reference Q8_0 rounding (halves away from zero,
 * d = max|x| / 127), the metadata llama.cpp reads (file type 7, quantization version 2, the version
 * override), re-quantizing a q8_0 file gives the same bytes, and llama.cpp loads and runs the output.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";
import { collect, makeRequest, repoFimTasks, ROOT, TARGET } from "../engine/helpers.js";
import { PY, pythonHas } from "./python.js";

const hasNumpy = pythonHas("numpy");

function py(code: string): string {
  return execFileSync(PY, ["-c", code], { cwd: join(ROOT, "training"), encoding: "utf8" });
}

function quantize(src: string, out: string, type: string, version?: string): void {
  execFileSync(PY, [join(ROOT, "training/quantize.py"), "--in", src, "--out", out, "--type", type, ...(version ? ["--version", version] : [])], { encoding: "utf8" });
}

function meta(path: string): Record<string, unknown> {
  return JSON.parse(py(`import json, sys\nfrom gguf_io import read_gguf\nm, t = read_gguf(${JSON.stringify(path)})\nprint(json.dumps({k: v for k, v in m.items() if k.startswith("general.")}))`)) as Record<string, unknown>;
}

describe.skipIf(!hasNumpy)("training/quantize.py", () => {
  const dir = mkdtempSync(join(tmpdir(), "ghostline-quantize-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rounds as ggml's quantize_row_q8_0_ref: d = max|x|/127, halves away from zero", () => {
    const out = py(
      "import numpy as np\nfrom gguf_io import quantize_q8_0\n" +
        "x = np.zeros(32, np.float32); x[0] = 127.0; x[1] = 2.5; x[2] = -2.5; x[3] = 0.49; x[4] = -126.5\n" +
        "b = np.frombuffer(quantize_q8_0(x), dtype=[('d', '<f2'), ('q', 'i1', 32)])\n" +
        "print(float(b['d'][0]), list(int(v) for v in b['q'][0][:5]))\n" +
        "print(len(quantize_q8_0(np.zeros(64, np.float32))), int(np.frombuffer(quantize_q8_0(np.zeros(32, np.float32))[2:], np.int8).any()))",
    );
    const [first, second] = out.trim().split("\n");
    // numpy's round() would give 2 / -2 / -126 (halves to even); ggml's roundf gives 3 / -3 / -127
    expect(first).toBe("1.0 [127, 3, -3, 0, -127]");
    expect(second).toBe("68 0"); // two 34-byte blocks; an all-zero block stays zero (d = 0, no division by zero)
  });

  it("writes the metadata llama.cpp reads, and re-quantizing the shipped q8_0 target gives the same bytes", () => {
    const again = join(dir, "again.gguf");
    quantize(TARGET, again, "q8_0");
    expect(readFileSync(again).equals(readFileSync(TARGET))).toBe(true);
    const m = meta(again);
    expect(m["general.file_type"]).toBe(7);
    expect(m["general.quantization_version"]).toBe(2);
    const f16 = join(dir, "f16.gguf");
    quantize(TARGET, f16, "f16", "test-f16");
    const mf = meta(f16);
    expect(mf["general.file_type"]).toBe(1);
    expect(mf["general.version"]).toBe("test-f16");
    expect(mf["general.quantization_version"]).toBe(2); // copied verbatim: only file_type (and version) change
    // f16 → q8_0 of the dequantized shipped weights: f16 rounds d·q, so a value may move, but by
    // at most one quantization step of its block (d = max|x|/127), never more
    const back = join(dir, "back.gguf");
    quantize(f16, back, "q8_0", String(meta(TARGET)["general.version"]));
    expect(py(
      "import numpy as np\nfrom gguf_io import read_gguf\n" +
        `a = read_gguf(${JSON.stringify(TARGET)})[1]; b = read_gguf(${JSON.stringify(back)})[1]\n` +
        "worst = 0.0\n" +
        "for k in a:\n" +
        "    if a[k].ndim < 2: worst = max(worst, float(np.abs(a[k] - b[k]).max()) * 1e9); continue\n" +
        "    x = a[k].reshape(-1, 32); d = np.abs(x).max(axis=1, keepdims=True) / 127\n" +
        "    worst = max(worst, float((np.abs(x - b[k].reshape(-1, 32)) / np.where(d > 0, d, 1)).max()))\n" +
        "print(sorted(a) == sorted(b), worst <= 1.0001)",
    ).trim()).toBe("True True");
  }, 120_000);

  it("an f16 re-encoding of the shipped target loads in llama.cpp and completes like it", async () => {
    const f16 = join(dir, "f16-run.gguf");
    quantize(TARGET, f16, "f16");
    const opts = {
      threads: 1, draftThreads: 1, sequences: 1, prefillChunk: 64, gpu: false,
      budgets: { prefixTokens: 300, suffixTokens: 80, extraTokens: 0 },
      speculative: { enabled: false, sources: [], maxK: 4 },
    };
    const q8 = await createLlamaCppEngine({ ...opts, modelPath: TARGET });
    const half = await createLlamaCppEngine({ ...opts, modelPath: f16 });
    try {
      let same = 0;
      let compared = 0;
      let tokens = 0;
      // repository tasks until 48 generated tokens were compared: the cursors move with the
      // repository's files, and some completions end at once
      for (const [i, t] of repoFimTasks(24).entries()) {
        const req = makeRequest({ prefix: t.prefix, suffix: t.suffix }, { affinityKey: `doc${i}`, stop: { maxTokens: 16, stop: [], mode: "none" } });
        const a = await collect(q8, req);
        const b = await collect(half, req);
        tokens += b.usage.completionTokens;
        compared++;
        if (a.text === b.text) same++;
        if (tokens >= 48 && compared >= 4) break;
      }
      expect(tokens).toBeGreaterThanOrEqual(48); // real text was compared, not empty completions
      // the f16 file holds the q8_0 weights' values up to f16 rounding: greedy text may differ only at near-ties
      expect(same).toBeGreaterThanOrEqual(compared - 1);
    } finally {
      await q8.close();
      await half.close();
    }
  }, 120_000);
});
