import { describe, expect, it, vi } from "vitest";
import { COMMANDS, main } from "../../src/cli/main.js";
import { parseLocation, splitAt } from "../../src/cli/commands/complete.js";
import { engineOverrides } from "../../src/cli/commands/serve.js";
import { resolveModelPaths, DEFAULT_MODEL } from "../../src/cli/engine-factory.js";
import { loadConfig } from "../../src/config/load.js";

describe("cli", () => {
  it("every command module exports name, summary and run", async () => {
    for (const [key, load] of Object.entries(COMMANDS)) {
      const mod = await load();
      expect(mod.name).toBe(key);
      expect(mod.summary.length).toBeGreaterThan(0);
      expect(typeof mod.run).toBe("function");
    }
  });

  it("unknown commands exit 2; --help lists the commands", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await main(["frobnicate"])).toBe(2);
      expect(await main(["--help"])).toBe(0);
      expect(String(out.mock.calls.map((c) => c[0]).join(""))).toMatch(/serve[\s\S]*complete/);
      expect(await main(["serve", "--help"])).toBe(0);
      expect(await main(["complete", "--help"])).toBe(0);
    } finally {
      err.mockRestore();
      out.mockRestore();
      process.exitCode = 0;
    }
  });

  it("splits FILE:LINE:COL (1-based) into prefix and suffix", () => {
    expect(parseLocation("C:/a:b.ts:3:7")).toEqual({ file: "C:/a:b.ts", line: 3, col: 7 });
    expect(splitAt("ab\ncdef\n", 2, 3)).toEqual({ prefix: "ab\ncd", suffix: "ef\n" });
    expect(() => splitAt("ab\n", 5, 1)).toThrow(/past the end/);
    expect(() => splitAt("ab\n", 1, 9)).toThrow(/outside line/);
  });

  it("maps flags to config overrides and defaults to the shipped models", () => {
    const o = engineOverrides({ port: "0", threads: "2", upstream: "http://a/v1,http://b/v1", "data-dir": "/d" });
    const c = loadConfig({ env: {}, overrides: o });
    expect(c.server.port).toBe(0);
    expect(c.engine).toMatchObject({ kind: "openai-compat", threads: 2, upstreams: ["http://a/v1", "http://b/v1"] });
    expect(c.server.dataDir).toBe("/d");
    expect(resolveModelPaths(loadConfig({ env: {} })).model).toBe(DEFAULT_MODEL);
  });
});
