import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { isGhostlineError } from "../../src/core/errors.js";

describe("loadConfig", () => {
  it("applies defaults and freezes deeply", () => {
    const c = loadConfig({ env: {} });
    expect(c.server.port).toBe(8017);
    expect(c.server.host).toBe("127.0.0.1");
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.server)).toBe(true);
    expect(() => {
      (c.server as { port: number }).port = 1;
    }).toThrow();
  });

  it("layers file < env < overrides", () => {
    const dir = mkdtempSync(join(tmpdir(), "gl-config-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ server: { port: 9000, dataDir: "/from-file" }, engine: { threads: 2 } }));
    const c = loadConfig({
      env: { GHOSTLINE_CONFIG: file, PORT: "9100", GHOSTLINE_API_KEYS: "secret-key-1:acme,secret-key-2:globex", GHOSTLINE_TELEMETRY: "off", GHOSTLINE_UPSTREAMS: "http://a/v1, http://b/v1", GHOSTLINE_MODEL: "/m.gguf" },
      overrides: { server: { port: 9200 } },
    });
    expect(c.server.port).toBe(9200);
    expect(c.server.dataDir).toBe("/from-file");
    expect(c.engine.threads).toBe(2);
    expect(c.engine.model).toBe("/m.gguf");
    expect(c.engine.upstreams).toEqual(["http://a/v1", "http://b/v1"]);
    expect(c.telemetry.level).toBe("off");
    expect(c.auth.apiKeys).toEqual({ "secret-key-1": { tenant: "acme" }, "secret-key-2": { tenant: "globex" } });
  });

  it("throws config_invalid listing the issues", () => {
    try {
      loadConfig({ env: { PORT: "not-a-port", GHOSTLINE_TELEMETRY: "loud" } });
      expect.unreachable();
    } catch (e) {
      expect(isGhostlineError(e, "config_invalid")).toBe(true);
      const issues = (e as { details: { issues: { path: string }[] } }).details.issues.map((i) => i.path);
      expect(issues).toEqual(expect.arrayContaining(["server.port", "telemetry.level"]));
    }
    expect(() => loadConfig({ env: {}, file: "/nonexistent/ghostline.json" })).toThrow(/Cannot read config file/);
  });
});
