/**
 * The edge on the real in-process engine and the shipped default model (threads 1). Asserts
 * behaviour only (shapes, limits, SSE termination), never completion quality.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import type { FastifyInstance } from "fastify";
import { loadConfig } from "../../src/config/load.js";
import { DEFAULT_MODEL } from "../../src/cli/engine-factory.js";
import { createLlamaCppEngine, type LlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { buildApp } from "../../src/server/app.js";
import { sseData } from "./helpers.js";

describe.skipIf(!existsSync(DEFAULT_MODEL))("server on the llama-cpp engine (shipped model)", () => {
  let app: FastifyInstance;
  let engine: LlamaCppEngine;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { engine: { threads: 1, sequences: 1 } } });
    engine = await createLlamaCppEngine({
      modelPath: DEFAULT_MODEL,
      threads: 1,
      draftThreads: 1,
      sequences: 1,
      prefillChunk: 64,
      gpu: false,
      budgets: { prefixTokens: config.requests.prefixTokens, suffixTokens: config.requests.suffixTokens, extraTokens: config.requests.extraTokens },
      speculative: { enabled: false, sources: [], maxK: 4 },
    });
    const registry = new Registry();
    const manager = createRequestManager({ engine, config, metrics: registry, log: () => {} });
    app = await buildApp({ config, engine, manager, registry });
    close = async () => {
      await app.close();
      await manager.close();
      await engine.close();
    };
  });
  afterAll(async () => close?.());

  it("serves /v1/completions within max_tokens", async () => {
    const res = await app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "function add(a, b) {\n  return ", suffix: "\n}\n", max_tokens: 8 } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(["stop", "length"]).toContain(body.choices[0].finish_reason);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(8);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("streams /infill and ends with a stop line", async () => {
    const res = await app.inject({ method: "POST", url: "/infill", payload: { input_prefix: "import os\n", input_suffix: "", prompt: "def ", n_predict: 6, stream: true } });
    expect(res.statusCode).toBe(200);
    const events = sseData(res.body).map((d) => JSON.parse(d));
    expect(events.at(-1)).toMatchObject({ stop: true });
    expect(events.at(-1).timings.predicted_n).toBeLessThanOrEqual(6);
  });
});
