/** The dataset and experiment CLI commands on a populated SQLite data dir. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { command as dataset } from "../../src/cli/commands/dataset.js";
import { command as experiment } from "../../src/cli/commands/experiment.js";
import { makeConfig, makeService, record, tempDir } from "./helpers.js";

describe("feedback CLI commands", () => {
  let dir: string;
  let cfgFile: string;
  let out: string[];
  beforeEach(async () => {
    dir = tempDir();
    cfgFile = join(dir, "config.json");
    const raw = {
      telemetry: { level: "code", salt: "cli" },
      experiments: [{ id: "exp1", arms: [{ name: "a" }, { name: "b" }] }],
    };
    writeFileSync(cfgFile, JSON.stringify(raw));
    const svc = await makeService("sqlite", makeConfig(raw), { dataDir: dir });
    for (let i = 0; i < 20; i++) {
      const arm = i % 2 ? "b" : "a";
      await svc.recordCompletion(
        record(`c${i}`, {
          fim: { prefix: `let v${i} = `, suffix: ";\n" },
          text: `${i}`,
          arm: { experiment: "exp1", arm },
        }),
        { tenant: "t", user: `u${i}` },
      );
      await svc.ingest(
        [
          { type: "shown", completion_id: `c${i}` },
          ...(i % 3 ? [{ type: "accepted" as const, completion_id: `c${i}` }] : []),
        ],
        { tenant: "t", user: `u${i}` },
      );
    }
    await svc.close();
    out = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (out.push(String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it("dataset export writes the fine-tune JSONL split", async () => {
    const file = join(dir, "out", "sft.jsonl");
    expect(
      await dataset.run([
        "export",
        "--out",
        file,
        "--data-dir",
        dir,
        "--config",
        cfgFile,
        "--eval-fraction",
        "0.3",
      ]),
    ).toBe(0);
    const train = readFileSync(join(dir, "out", "sft.train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .filter(Boolean);
    const evalRows = readFileSync(join(dir, "out", "sft.eval.jsonl"), "utf8")
      .trim()
      .split("\n")
      .filter(Boolean);
    expect(train.length + evalRows.length).toBe(13); // i % 3 != 0 among 0..19
    expect(evalRows.length).toBeGreaterThan(0);
    for (const l of [...train, ...evalRows])
      expect(Object.keys(JSON.parse(l) as object).sort()).toEqual(["language", "middle", "prefix", "suffix"]);
    expect(out.join("")).toMatch(/SFT examples: \d+ train/);
  });

  it("dataset without --out prints usage and fails", async () => {
    expect(await dataset.run(["export"])).toBe(2);
    expect(out.join("")).toContain("usage: ghostline dataset export");
  });

  it("experiment report prints per-arm figures (text and JSON)", async () => {
    expect(await experiment.run(["report", "--data-dir", dir, "--config", cfgFile, "--id", "exp1"])).toBe(0);
    expect(out.join("")).toMatch(/experiment exp1 \(tenant t\) — collecting/);
    out.length = 0;
    expect(await experiment.run(["report", "--data-dir", dir, "--config", cfgFile, "--json"])).toBe(0);
    const reports = JSON.parse(out.join("")) as {
      arms: { arm: string; acceptance: { n: number; successes: number } }[];
    }[];
    expect(reports[0]!.arms.map((a) => [a.arm, a.acceptance.n, a.acceptance.successes])).toEqual([
      ["a", 10, 6],
      ["b", 10, 7],
    ]);
  });
});
