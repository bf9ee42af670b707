import { afterEach, describe, expect, it } from "vitest";
import { makeServer, sseData, type TestServer } from "./helpers.js";

let s: TestServer;
afterEach(async () => s?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => s.app.inject({ method: "POST", url, payload: payload as object, headers });

describe("POST /v1/completions (OpenAI)", () => {
  it("returns an OpenAI-shaped FIM completion that saw prompt and suffix", async () => {
    s = await makeServer({ engine: { script: (r) => `[${r.fim.prefix}|${r.fim.suffix}]` } });
    const res = await post("/v1/completions", { model: "x", prompt: "a = ", suffix: ";\n", max_tokens: 50 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.object).toBe("text_completion");
    expect(body.id).toMatch(/^cmpl-/);
    expect(typeof body.created).toBe("number");
    expect(body.model).toBe("fake-model");
    expect(body.choices).toEqual([{ index: 0, text: "[a = |;\n]", finish_reason: "stop", logprobs: null }]);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.timings).toHaveProperty("total_ms");
    expect(body.usage).toHaveProperty("prompt_tokens_reused");
    expect(s.engine.calls[0]?.fim).toMatchObject({ prefix: "a = ", suffix: ";\n" });
    expect(s.engine.calls[0]?.tenant).toBe("local");
  });

  it("maps max_tokens to finish_reason length and passes stop, mode and extensions", async () => {
    s = await makeServer({ engine: { script: () => "x".repeat(100), tokenChars: 1 } });
    const res = await post("/v1/completions", { prompt: "p", max_tokens: 5, stop: ["END"], mode: "line", temperature: 0.5, top_p: 0.9, seed: 7, speculative: false, client_draft: "xx", deadline_ms: 900, language: "ts", filepath: "a.ts" });
    expect(res.statusCode).toBe(200);
    expect(res.json().choices[0]).toMatchObject({ text: "xxxxx", finish_reason: "length" });
    const call = s.engine.calls[0]!;
    expect(call.stop).toEqual({ maxTokens: 5, stop: ["END"], mode: "line" });
    expect(call.sampling).toMatchObject({ temperature: 0.5, topP: 0.9, seed: 7 });
    expect(call.speculative.enabled).toBe(false);
    expect(call.clientDraft).toBe("xx");
    expect(call.fim).toMatchObject({ language: "ts", filepath: "a.ts" });
  });

  it("latest wins per client and file: the user, else the network address, tells developers on one key apart", async () => {
    // one team key, no user in it
    s = await makeServer({ config: { auth: { apiKeys: { "team-key-1234": { tenant: "acme" } } } }, engine: { script: (r) => `${r.fim.prefix}:${"x".repeat(40)}`, tokenChars: 1, tokenDelayMs: 2 } });
    const ask = (prefix: string, from: string, user?: string) =>
      s.app.inject({ method: "POST", url: "/v1/completions", remoteAddress: from, headers: { authorization: "Bearer team-key-1234" }, payload: { prompt: prefix, filepath: "src/a.ts", max_tokens: 30, ...(user ? { user } : {}) } });
    // two addresses, same file, overlapping: neither supersedes the other
    const [a, b] = await Promise.all([ask("a", "10.0.0.1"), new Promise((r) => setTimeout(r, 10)).then(() => ask("b", "10.0.0.2"))]);
    expect(a.json().choices[0].text).toBe("a:" + "x".repeat(28));
    expect(b.json().choices[0].text).toBe("b:" + "x".repeat(28));
    // one address: the later request wins, the earlier ends early
    const [c, d] = await Promise.all([ask("c", "10.0.0.1"), new Promise((r) => setTimeout(r, 10)).then(() => ask("d", "10.0.0.1"))]);
    expect(c.json().choices[0].text.length).toBeLessThan(30);
    expect(d.json().choices[0].text).toBe("d:" + "x".repeat(28));
    // the engine's affinity keys name the client: the user when given, else the address
    await ask("e", "10.0.0.3", "alice");
    const keys = s.engine.calls.map((c) => c.affinityKey);
    expect(keys[0]).toBe("acme\u0000addr:10.0.0.1\u0000src/a.ts");
    expect(keys[1]).toBe("acme\u0000addr:10.0.0.2\u0000src/a.ts");
    expect(keys.at(-1)).toBe("acme\u0000user:alice\u0000src/a.ts");
  });

  it("behind a reverse proxy (server.trustProxy) the forwarded address is the client", async () => {
    for (const trustProxy of [true, false]) {
      s = await makeServer({ config: { server: { trustProxy } }, engine: { script: () => "x" } });
      const res = await s.app.inject({ method: "POST", url: "/v1/completions", headers: { "x-forwarded-for": "10.1.2.3" }, payload: { prompt: "p", filepath: "a.ts" } });
      expect(res.statusCode).toBe(200);
      expect(s.engine.calls[0]!.affinityKey).toBe(`local\u0000addr:${trustProxy ? "10.1.2.3" : "127.0.0.1"}\u0000a.ts`);
      await s.close();
    }
  });

  it("n > 1 returns n indexed choices from independent generations", async () => {
    s = await makeServer({ engine: { script: (r) => `seed${r.sampling.seed}` } });
    const res = await post("/v1/completions", { prompt: "p", n: 3, temperature: 0.8, seed: 10 });
    expect(res.statusCode).toBe(200);
    const choices = res.json().choices as { index: number; text: string }[];
    expect(choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(choices.map((c) => c.text)).toEqual(["seed10", "seed11", "seed12"]);
    expect(s.engine.calls).toHaveLength(3);
  });

  it("streams SSE chunks in OpenAI's format ending with [DONE]", async () => {
    s = await makeServer({ engine: { script: () => "hello world", tokenChars: 2 } });
    const res = await post("/v1/completions", { prompt: "p", stream: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const data = sseData(res.body);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.length).toBeGreaterThan(2);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    for (const c of chunks) expect(c).toMatchObject({ object: "text_completion", model: "fake-model" });
    expect(chunks.map((c) => c.choices[0].text).join("")).toBe("hello world");
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).completion_id).toMatch(/^cmpl-/);
    // the first text chunk names the completion too (feedback on a suggestion still streaming)
    expect(chunks[0].completion_id).toBe(chunks.at(-1).completion_id);
    expect(chunks.slice(1, -1).every((c) => c.completion_id === undefined)).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  it("says in Server-Timing how long the server took to the first event, for OpenAI and /infill streams", async () => {
    s = await makeServer({ engine: { script: () => "hello", tokenChars: 5, tokenDelayMs: 40 } });
    const durOf = (h: unknown): number => {
      const m = /^first-event;dur=(\d+(?:\.\d+)?);desc="[^"]+"$/.exec(String(h));
      if (!m) throw new Error(`unexpected server-timing header: ${String(h)}`);
      return Number(m[1]);
    };
    const openai = await post("/v1/completions", { prompt: "p", stream: true });
    const infill = await post("/infill", { input_prefix: "q", input_suffix: "", stream: true });
    for (const res of [openai, infill]) {
      expect(res.statusCode).toBe(200);
      // the fake engine sleeps 40 ms before its one token (a cache hit would answer at once: hence
      // another prefix for /infill)
      expect(durOf(res.headers["server-timing"])).toBeGreaterThanOrEqual(38);
    }
    // not on a non-streamed answer
    const plain = await post("/v1/completions", { prompt: "p" });
    expect(plain.headers["server-timing"]).toBeUndefined();
  });

  it("streams n > 1 with choice indexes", async () => {
    s = await makeServer({ engine: { script: (r) => `s${r.sampling.seed}` } });
    const res = await post("/v1/completions", { prompt: "p", stream: true, n: 2, temperature: 1, seed: 1 });
    const chunks = sseData(res.body).slice(0, -1).map((d) => JSON.parse(d));
    const text = (i: number) => chunks.filter((c) => c.choices[0].index === i).map((c) => c.choices[0].text).join("");
    expect([text(0), text(1)]).toEqual(["s1", "s2"]);
    expect(chunks.filter((c) => c.choices[0].finish_reason === "stop")).toHaveLength(2);
  });

  it("GET /v1/models lists the engine model", async () => {
    s = await makeServer();
    const res = await s.app.inject({ method: "GET", url: "/v1/models" });
    expect(res.json().data[0].id).toBe("fake-model");
  });
});

describe("POST /v1/fim/completions (Continue's FIM providers)", () => {
  it("streams chunks with both text and delta.content", async () => {
    s = await makeServer({ engine: { script: (r) => `<${r.fim.suffix}>` } });
    const res = await post("/v1/fim/completions", { model: "codestral-latest", prompt: "a", suffix: "b", max_tokens: 20, stream: true, frequency_penalty: null, presence_penalty: null }, { "x-api-key": "", authorization: "Bearer undefined" });
    expect(res.statusCode).toBe(200);
    const chunks = sseData(res.body).slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0].delta.content).join("")).toBe("<b>");
    expect(chunks.map((c) => c.choices[0].text).join("")).toBe("<b>");
  });
});
