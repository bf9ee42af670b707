/**
 * Admin model routes over the model pool: register a version, hot-swap to it while completions are
 * streaming (none fails), unload, and admin-only access.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import { ModelPoolEngine } from "../../src/registry/model-pool-engine.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { buildApp } from "../../src/server/app.js";

async function setup(apiKeys: Record<string, { tenant: string; admin?: boolean }> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "models-routes-"));
  writeFileSync(join(dir, "base.gguf"), "GGUF base");
  writeFileSync(join(dir, "ft.gguf"), "GGUF ft");
  const config = loadConfig({ env: {}, overrides: { server: { dataDir: join(dir, "data") }, auth: { apiKeys } } });
  const registry = new ModelRegistry({ dataDir: config.server.dataDir, shipped: { path: join(dir, "base.gguf"), version: "base" } });
  const closed: string[] = [];
  const pool = await ModelPoolEngine.create({
    registry,
    activeVersion: "base",
    factory: async (entry) => {
      const e = createFakeEngine({ tokenDelayMs: 2, model: entry.version, script: () => `${entry.version} says hello world` });
      const close = e.close.bind(e);
      e.close = async () => {
        closed.push(entry.version);
        await close();
      };
      return e;
    },
  });
  const metrics = new Registry();
  const manager = createRequestManager({ engine: pool, config, metrics, coalesceMs: 0, log: () => {} });
  const app = await buildApp({ config, engine: pool, manager, registry: metrics, models: { registry, pool } });
  return { dir, app, pool, closed, manager };
}

describe("/v1/admin/models", () => {
  it("registers a version and hot-swaps to it under load without failing a request", async () => {
    const { dir, app, closed, manager } = await setup();
    const reg = await app.inject({ method: "POST", url: "/v1/admin/models", payload: { version: "ft1", path: join(dir, "ft.gguf") } });
    expect(reg.statusCode).toBe(201);
    const complete = (i: number) =>
      app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: `doc ${i}\n`, suffix: "", max_tokens: 8, user: `u${i}` } });
    const before = Array.from({ length: 12 }, (_, i) => complete(i));
    const swap = await app.inject({ method: "POST", url: "/v1/admin/models/ft1/activate" });
    expect(swap.statusCode).toBe(200);
    expect(swap.json().active).toBe("ft1");
    const results = await Promise.all(before);
    expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    expect(results.every((r) => (r.json().choices[0].text as string).length > 0)).toBe(true);
    const after = await complete(99);
    expect(after.json().choices[0].text).toContain("ft1");
    expect(closed).toEqual(["base"]); // drained, then closed
    const list = await app.inject({ method: "GET", url: "/v1/admin/models" });
    expect(list.json().loaded.map((m: { version: string }) => m.version)).toEqual(["ft1"]);
    await manager.close();
    await app.close();
  });

  it("serves a registered version named in the request's model field; other names are labels", async () => {
    const { dir, app, manager } = await setup();
    await app.inject({ method: "POST", url: "/v1/admin/models", payload: { version: "ft1", path: join(dir, "ft.gguf") } });
    const pick = (model: string) => app.inject({ method: "POST", url: "/v1/completions", payload: { model, prompt: `x ${model}\n`, max_tokens: 8 } });
    expect((await pick("ft1")).json().choices[0].text).toContain("ft1");
    expect((await pick("gpt-3.5-turbo-instruct")).json().choices[0].text).toContain("base");
    await manager.close();
    await app.close();
  });

  it("answers typed errors: unknown version, bad body, unloading the active model", async () => {
    const { app, manager } = await setup();
    expect((await app.inject({ method: "POST", url: "/v1/admin/models/nope/activate" })).json().error.code).toBe("model_not_found");
    const bad = await app.inject({ method: "POST", url: "/v1/admin/models", payload: { version: "x" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("invalid_request");
    const active = await app.inject({ method: "POST", url: "/v1/admin/models/base/unload" });
    expect(active.statusCode).toBe(409);
    await manager.close();
    await app.close();
  });

  it("is admin-only when API keys are configured", async () => {
    const { app, manager } = await setup({ "user-key-123": { tenant: "acme" }, "admin-key-456": { tenant: "ops", admin: true } });
    const user = await app.inject({ method: "GET", url: "/v1/admin/models", headers: { authorization: "Bearer user-key-123" } });
    expect(user.statusCode).toBe(403);
    expect(user.json().error.code).toBe("forbidden");
    const adm = await app.inject({ method: "GET", url: "/v1/admin/models", headers: { authorization: "Bearer admin-key-456" } });
    expect(adm.statusCode).toBe(200);
    await manager.close();
    await app.close();
  });
});
