import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isGhostlineError } from "../core/errors.js";
import type { Engine, EngineEvent, EngineRequest } from "../core/types.js";
import { ModelRegistry } from "./model-registry.js";
import { ModelPoolEngine } from "./model-pool-engine.js";

/** A model-free engine that streams its version name token by token. */
function versionEngine(version: string, log: string[]): Engine {
  let closed = false;
  return {
    info: { id: version, kind: "fake", model: version, modelVersion: version, family: "ghostline", contextSize: 512, sequences: 4 },
    async *complete(req: EngineRequest, { signal }): AsyncIterable<EngineEvent> {
      if (closed) throw new Error(`engine ${version} used after close`);
      let text = "";
      for (let i = 0; i < 5; i++) {
        if (signal?.aborted) break;
        await new Promise((r) => setTimeout(r, 2));
        if (closed) throw new Error(`engine ${version} closed mid-request`);
        text += version[0];
        yield { type: "delta", text: version[0]!, tokens: 1 };
      }
      yield {
        type: "done",
        text,
        stopReason: "max_tokens",
        usage: { promptTokens: 1, promptTokensReused: 0, promptTokensEvaluated: 1, completionTokens: 5, truncated: false, timings: { queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0 } },
      };
      void req;
    },
    async health() {
      return { ok: true };
    },
    async close() {
      closed = true;
      log.push(`close ${version}`);
    },
  };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "reg-"));
  const a = join(dir, "a.gguf");
  const b = join(dir, "b.gguf");
  writeFileSync(a, "GGUF-a");
  writeFileSync(b, "GGUF-bb");
  const registry = new ModelRegistry({ dataDir: join(dir, "data"), shipped: { path: a, version: "v1" } });
  registry.register({ version: "v2", path: b });
  return { dir, registry };
}

const req = (model?: string): EngineRequest => ({
  tenant: "t",
  affinityKey: "t:doc",
  fim: { prefix: "x", suffix: "" },
  sampling: { temperature: 0, topP: 1, topK: 0 },
  stop: { maxTokens: 5, stop: [], mode: "none" },
  speculative: { enabled: false },
  ...(model ? { model } : {}),
});

async function run(engine: Engine, r: EngineRequest): Promise<string> {
  let text = "";
  for await (const ev of engine.complete(r, {})) if (ev.type === "done") text = ev.text;
  return text;
}

describe("ModelRegistry", () => {
  it("persists registrations across instances and rejects bad input", () => {
    const { dir, registry } = setup();
    const again = new ModelRegistry({ dataDir: join(dir, "data") });
    expect(again.get("v2").bytes).toBe(7);
    expect(registry.list().map((e) => e.version)).toEqual(["v1", "v2"]);
    expect(() => registry.get("nope")).toThrowError(expect.objectContaining({ code: "model_not_found" }));
    expect(() => registry.register({ version: "bad version!", path: join(dir, "a.gguf") })).toThrowError(expect.objectContaining({ code: "invalid_request" }));
    expect(() => registry.register({ version: "v3", path: join(dir, "missing.gguf") })).toThrowError(expect.objectContaining({ code: "invalid_request" }));
  });
});

describe("ModelPoolEngine", () => {
  it("routes by request.model and hot-swaps under load without failing a request", async () => {
    const { registry } = setup();
    const log: string[] = [];
    const pool = await ModelPoolEngine.create({ registry, activeVersion: "v1", factory: async (e) => versionEngine(e.version, log) });
    expect(await run(pool, req("v2"))).toBe("vvvvv");
    await pool.unload("v2");
    // 40 concurrent requests; swap v1 -> v2 while they run
    const inflight = Array.from({ length: 40 }, () => run(pool, req()));
    await new Promise((r) => setTimeout(r, 3));
    await pool.activate("v2");
    const results = await Promise.allSettled(inflight);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect(results.map((r) => (r as PromiseFulfilledResult<string>).value).every((t) => t === "vvvvv")).toBe(true);
    expect(log).toContain("close v1"); // drained, then closed
    expect(pool.activeVersion).toBe("v2");
    expect(await run(pool, req())).toBe("vvvvv");
    expect(pool.memory().map((m) => m.version)).toEqual(["v2"]);
    await expect(pool.unload("v2")).rejects.toSatisfy((e) => isGhostlineError(e, "conflict"));
    await pool.close();
  });

  it("unloads the least recently loaded idle version beyond the memory budget", async () => {
    const { dir, registry } = setup();
    writeFileSync(join(dir, "c.gguf"), "GGU");
    registry.register({ version: "v3", path: join(dir, "c.gguf") });
    const log: string[] = [];
    const pool = await ModelPoolEngine.create({ registry, activeVersion: "v1", factory: async (e) => versionEngine(e.version, log), memoryBudgetBytes: 14 });
    await pool.load("v2"); // 6 + 7 = 13 bytes: within budget
    expect(pool.memory().map((m) => m.version).sort()).toEqual(["v1", "v2"]);
    await pool.load("v3"); // 16 > 14: idle v2 goes, the active v1 and the new v3 stay
    expect(pool.memory().map((m) => m.version).sort()).toEqual(["v1", "v3"]);
    expect(log).toEqual(["close v2"]);
    await pool.close();
  });
});
