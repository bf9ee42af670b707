/**
 * Over a real socket (app.listen on port 0): the openai SDK streams a FIM completion, and client
 * aborts / disconnects stop the engine and are counted in /metrics.
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { makeServer, type TestServer } from "./helpers.js";
import { startCompletion, buildCompletionRequest, collect, type EdgeContext } from "../../src/server/completion-stream.js";
import { createServerMetrics } from "../../src/server/metrics.js";

let s: TestServer;
afterEach(async () => s?.close());

async function listen(): Promise<string> {
  await s.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = s.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function cancellations(base: string, reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^ghostline_cancellations_total\\{reason="${reason}"\\} (\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

describe("real socket", () => {
  it("the openai SDK streams a FIM completion that reflects the suffix", async () => {
    s = await makeServer({ engine: { script: (r) => `SUFFIX_SEEN(${r.fim.suffix})` } });
    const base = await listen();
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused-on-loopback" });
    const stream = await client.completions.create({ model: "ghostline", prompt: "const total = ", suffix: "; // end", stream: true, max_tokens: 64 });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("SUFFIX_SEEN(; // end)");
    expect(finish).toBe("stop");
    const plain = await client.completions.create({ model: "ghostline", prompt: "x = ", suffix: "!", max_tokens: 64 });
    expect(plain.choices[0]?.text).toBe("SUFFIX_SEEN(!)");
  });

  it("aborting the SDK stream mid-generation stops the engine and counts a cancellation", async () => {
    s = await makeServer({ engine: { script: () => "x".repeat(5000), tokenDelayMs: 20, tokenChars: 1 } });
    const base = await listen();
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "k" });
    const stream = await client.completions.create({ model: "ghostline", prompt: "p", stream: true, max_tokens: 512 });
    let chunks = 0;
    try {
      for await (const _ of stream) {
        chunks++;
        if (chunks === 3) stream.controller.abort();
      }
    } catch {
      // Depending on timing the SDK ends the iteration or throws an abort error.
    }
    expect(chunks).toBe(3);
    await until(() => s.engine.active() === 0, "the engine to stop");
    await until(async () => (await cancellations(base, "client_disconnect")) === 1, "the cancellation metric");
  });

  it("a client disconnecting before the first token (non-streaming) cancels the generation", async () => {
    s = await makeServer({ engine: { script: () => "never", tokenDelayMs: 60_000 } });
    const base = await listen();
    const { port } = new URL(base);
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/infill", headers: { "content-type": "application/json" } });
    req.on("error", () => {});
    req.end(JSON.stringify({ input_prefix: "a", input_suffix: "b" }));
    await until(() => s.engine.active() === 1, "the engine to start");
    req.destroy();
    await until(() => s.engine.active() === 0, "the engine to stop");
    await until(async () => (await cancellations(base, "client_disconnect")) === 1, "the cancellation metric");
  });

  it("a request whose client is already gone never reaches the engine", async () => {
    s = await makeServer();
    const controller = new AbortController();
    controller.abort();
    const { createRequestManager } = await import("../../src/requests/request-manager.js");
    const m = createRequestManager({ engine: s.engine, config: s.config, log: () => {} });
    const ctx: EdgeContext = {
      services: { config: s.config, engine: s.engine, manager: m },
      metrics: createServerMetrics(s.registry, () => ({ inFlight: 0, queued: 0 })),
      authenticate: () => ({ tenant: "t" }),
    };
    const req = buildCompletionRequest(ctx, { tenant: "t" }, "openai", { prefix: "a", suffix: "b" });
    const done = await collect(await startCompletion(ctx, "openai", req, controller.signal));
    expect(done.stopReason).toBe("cancelled");
    expect(s.engine.calls).toHaveLength(0);
    expect(await s.registry.getSingleMetricAsString("ghostline_cancellations_total")).toMatch(/reason="client_disconnect"\} 1/);
    await m.close();
  });
});
