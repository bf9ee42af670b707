import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";

describe("docs/deploy config templates", () => {
  it("ghostline-config.json parses with the one config schema", () => {
    const raw = JSON.parse(readFileSync(new URL("../../docs/deploy/ghostline-config.json", import.meta.url), "utf8")) as unknown;
    const cfg = ConfigSchema.parse(raw);
    expect(cfg.engine.kind).toBe("openai-compat");
    expect(cfg.engine.upstreams.length).toBeGreaterThan(0);
  });
  it("the Kubernetes ConfigMap's config.json parses too", () => {
    const yaml = readFileSync(new URL("../../docs/deploy/k8s/ghostline.yaml", import.meta.url), "utf8");
    const block = /config\.json: \|\n((?: {4}.*\n)+)/.exec(yaml)?.[1];
    expect(block).toBeDefined();
    const json = block!.split("\n").map((l) => l.slice(4)).join("\n");
    expect(ConfigSchema.parse(JSON.parse(json)).engine.upstreams).toHaveLength(2);
  });
});
