import { afterEach, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import WebSocket from "ws";
import { makeServer, sseData, type TestServer } from "./helpers.js";
import { buildApp } from "../../src/server/app.js";
import { loadConfig } from "../../src/config/load.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import { createRequestManager } from "../../src/requests/request-manager.js";

let s: TestServer;
afterEach(async () => s?.close());

describe("/metrics and /health", () => {
  it("counts lookahead-served HTTP completions, and their own generation's prompt tokens", async () => {
    const scripts: Record<string, string> = { "const x = ": "foo(1);", "const x = b": "ar(2);" };
    s = await makeServer({ engine: { script: (r) => scripts[r.fim.prefix] ?? "?", alternatives: (r) => (r.fim.prefix === "const x = " ? ["b"] : []) } });
    await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "const x = ", suffix: "\n" } });
    for (let i = 0; i < 200 && !s.engine.calls.some((c) => c.probe); i++) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    const before = (await s.app.inject({ method: "GET", url: "/metrics" })).body;
    const evaluated = (t: string) => Number(/ghostline_prompt_tokens_total\{kind="evaluated"\} (\d+)/.exec(t)?.[1] ?? 0);
    const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "const x = b", suffix: "\n", stream: true } });
    const chunks = sseData(res.body).filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as { choices: { text: string }[] });
    expect(chunks[0]!.choices[0]!.text).toBe("ar(");
    expect(chunks.map((c) => c.choices[0]!.text).join("")).toBe("ar(2);");
    const after = (await s.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(after).toMatch(/ghostline_lifecycle_completions_total\{outcome="lookahead"\} 1/);
    expect(evaluated(after)).toBeGreaterThan(evaluated(before));
  });

  it("exposes latency histograms, token counters, requests by route and gauges", async () => {
    s = await makeServer({ engine: { script: () => "abc" } });
    await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" } });
    await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x", stream: true } });
    await s.app.inject({ method: "POST", url: "/infill", payload: "{bad", headers: { "content-type": "application/json" } });
    const res = await s.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/ghostline_time_to_first_token_seconds_count\{route="openai"\} 2/);
    expect(text).toMatch(/ghostline_completion_duration_seconds_count\{route="openai"\} 2/);
    expect(text).toMatch(/ghostline_tokens_generated_total\{route="openai"\} [1-9]/);
    expect(text).toMatch(/ghostline_prompt_tokens_total\{kind="evaluated"\} [1-9]/);
    expect(text).toMatch(/ghostline_http_requests_total\{route="\/v1\/completions",status="200"\} 2/);
    expect(text).toMatch(/ghostline_http_requests_total\{route="\/infill",status="400"\} 1/);
    expect(text).toMatch(/^ghostline_in_flight 0$/m);
    expect(text).toMatch(/^ghostline_queued 0$/m);
    expect(text).toMatch(/ghostline_lifecycle_completions_total/);
  });

  it("GET /health is 503 while the model loads", async () => {
    const config = loadConfig({ env: {} });
    const engine = createFakeEngine();
    const manager = createRequestManager({ engine, config });
    let ready = false;
    const app = await buildApp({ config, engine, manager, registry: new Registry(), ready: () => ready });
    const loading = await app.inject({ method: "GET", url: "/health" });
    expect(loading.statusCode).toBe(503);
    expect(loading.json()).toEqual({ status: "loading model" });
    ready = true;
    expect((await app.inject({ method: "GET", url: "/health" })).json()).toEqual({ status: "ok" });
    await app.close();
    await manager.close();
  });

  it("WebSocket /v1/stream authenticates before handing the socket to the session handler", async () => {
    s = await makeServer({ config: { auth: { apiKeys: { "ws-key-12345": { tenant: "w" } } } } });
    expect(s.app.hasRoute({ method: "GET", url: "/v1/stream" })).toBe(true);
    await s.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = s.app.server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`);
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    const first = new Promise<string>((resolve) => ws.once("message", (d: Buffer) => resolve(d.toString("utf8"))));
    expect(JSON.parse(await first)).toMatchObject({ type: "error", error: { code: "unauthorized" } });
    expect(await closed).toBe(1008);
  });
});

describe("WebSocket session wiring", () => {
  it("an authenticated socket reaches the session handler and gets a completion", async () => {
    s = await makeServer({ engine: { script: () => "ws-ok" } });
    await s.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = s.app.server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`);
    const messages: { type: string; text?: string }[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on("message", (d: Buffer) => {
        const m = JSON.parse(d.toString("utf8")) as { type: string; text?: string };
        messages.push(m);
        if (m.type === "done" || m.type === "error") resolve();
      }),
    );
    await new Promise((r) => ws.once("open", r));
    ws.send(JSON.stringify({ type: "hello", client: "test" }));
    ws.send(JSON.stringify({ type: "complete", id: "c1", prefix: "a", suffix: "b" }));
    await done;
    ws.close();
    expect(messages.find((m) => m.type === "done")).toMatchObject({ type: "done", text: "ws-ok" });
    expect(s.engine.calls[0]?.tenant).toBe("local");
  });
});
