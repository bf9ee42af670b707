/**
 * Lookahead (config.requests.lookahead): after a greedy completion, the first token of the
 * completion for each likely next character is computed in the background; a request that types
 * one of them gets that text at once while its generation continues.
 */
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import type { EngineRequest } from "../../src/core/types.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import type { CompletionDone, CompletionEvent, CompletionRequest } from "../../src/requests/types.js";

const config = ConfigSchema.parse({});
const BASE = "const x = ";
/** What the fake model writes after each prefix (3 characters per token). */
const SCRIPTS: Record<string, string> = { [BASE]: "foo(1);", [BASE + "b"]: "ar(2);", [BASE + "c"]: "all(3);", [BASE + "z"]: "zz;" };
const script = (r: EngineRequest): string => SCRIPTS[r.fim.prefix] ?? "other;";

function req(over: Partial<CompletionRequest> & { prefix?: string } = {}): CompletionRequest {
  const { prefix = BASE, ...rest } = over;
  return {
    tenant: "t1",
    documentKey: "file:///a.ts",
    fim: { prefix, suffix: "\n" },
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: 64, stop: [], mode: "none" },
    source: "native",
    arrivedAt: Date.now(),
    ...rest,
  };
}

/** Collects a completion; `atFirstDelta` runs when its first delta arrives. */
async function collect(it: AsyncIterable<CompletionEvent>, atFirstDelta?: () => void): Promise<{ deltas: string[]; done: CompletionDone }> {
  const deltas: string[] = [];
  for await (const ev of it) {
    if (ev.type === "delta") {
      if (deltas.length === 0) atFirstDelta?.();
      deltas.push(ev.text);
    } else return { deltas, done: ev };
  }
  throw new Error("stream ended without done");
}

/** Waits until the manager has had nothing running (probes included) for two checks 5 ms apart. */
async function settled(m: ReturnType<typeof createRequestManager>): Promise<void> {
  let idle = 0;
  for (let i = 0; i < 400 && idle < 2; i++) {
    await new Promise((r) => setTimeout(r, 5));
    idle = m.stats().generationsActive === 0 ? idle + 1 : 0;
  }
  expect(idle).toBe(2);
}

/** Alternatives reported for the first request's prefix only. */
const atBase = (chars: string[]) => (r: EngineRequest): string[] => (r.fim.prefix === BASE ? chars : []);
const probes = (calls: EngineRequest[]) => calls.filter((c) => c.probe);

describe("lookahead", () => {
  it("probes the likely next characters after a completion; typing one streams the probe's text at once, then the rest", async () => {
    const engine = createFakeEngine({ script, alternatives: () => ["b", "c", "d"] });
    const m = createRequestManager({ engine, config });
    const first = await collect(m.complete(req(), {}));
    expect(first.done.text).toBe("foo(1);");
    await settled(m);
    // The first request asked for alternatives; two probes (the configured count) ran, each for its
    // first pass (at most two tokens: the healed token's draft), speculating with no draft source.
    expect(engine.calls[0]!.alternatives).toEqual({ count: 2, minProbability: 0.1 });
    expect(probes(engine.calls).map((c) => [c.fim.prefix, c.fim.suffix, c.stop.maxTokens, c.speculative.enabled, c.speculative.sources, c.alternatives])).toEqual([
      [BASE + "b", "\n", 2, true, [], undefined],
      [BASE + "c", "\n", 2, true, [], undefined],
    ]);
    expect(m.counters()).toMatchObject({ lookaheads: 2, lookaheadTokens: 2, reusedLookahead: 0 });

    let callsAtFirstDelta = -1;
    const typed = await collect(m.complete(req({ prefix: BASE + "b" }), {}), () => (callsAtFirstDelta = engine.calls.length));
    // the first delta is the probe's text, sent before the request's own generation reached the engine
    expect(typed.deltas[0]).toBe("ar(");
    expect(callsAtFirstDelta).toBe(3);
    expect(typed.deltas.join("")).toBe("ar(2);");
    expect(typed.done).toMatchObject({ text: "ar(2);", reused: "lookahead", stopReason: "eos" });
    expect(engine.calls.length).toBe(4);
    expect(engine.calls[3]!.probe).toBeUndefined();
    await settled(m);
    // the probe for "c" was not used: its token is wasted; the used one is not
    expect(m.counters()).toMatchObject({ reusedLookahead: 1, wastedTokens: 1 });
  });

  it("the text equals what the same request gets without lookahead", async () => {
    const off = createRequestManager({ engine: createFakeEngine({ script }), config: ConfigSchema.parse({ requests: { lookahead: 0 } }) });
    const plain = await collect(off.complete(req({ prefix: BASE + "c" }), {}));
    const engine = createFakeEngine({ script, alternatives: () => ["c"] });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    await settled(m);
    const served = await collect(m.complete(req({ prefix: BASE + "c" }), {}));
    expect(served.done.reused).toBe("lookahead");
    expect(served.done.text).toBe(plain.done.text);
    expect(served.deltas.join("")).toBe(plain.deltas.join(""));
  });

  it("a request that types something else uses no probe; its probes' tokens are wasted", async () => {
    const engine = createFakeEngine({ script, alternatives: atBase(["b", "c"]) });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    await settled(m);
    const other = await collect(m.complete(req({ prefix: BASE + "z" }), {}));
    expect(other.done.reused).toBeUndefined();
    expect(other.done.text).toBe("zz;");
    await settled(m);
    expect(m.counters()).toMatchObject({ lookaheads: 2, reusedLookahead: 0, wastedTokens: 2 });
    // the probe results went with that request: typing "b" now is an ordinary new generation
    const late = await collect(m.complete(req({ prefix: BASE + "b" }), {}));
    expect(late.done.reused).toBeUndefined();
  });

  it("never serves a probe to another tenant, another document or other parameters", async () => {
    const engine = createFakeEngine({ script, alternatives: () => ["b"] });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    await settled(m);
    for (const over of [{ tenant: "t2" }, { documentKey: "file:///b.ts" }]) {
      const r = await collect(m.complete(req({ prefix: BASE + "b", ...over }), {}));
      expect(r.done.reused).not.toBe("lookahead");
    }
    // other parameters for the probed document: the probe is not used (and its result is gone)
    const params = await collect(m.complete(req({ prefix: BASE + "b", stop: { maxTokens: 2, stop: [], mode: "none" } }), {}));
    expect(params.done.reused).toBeUndefined();
    expect(m.counters().reusedLookahead).toBe(0);
  });

  it("probes only for the newest request of a key, for greedy requests, and only on an idle engine", async () => {
    // a newer request arrives before the first finishes: no probes for the superseded one
    const engine = createFakeEngine({ script, alternatives: () => ["b"], tokenDelayMs: 3 });
    const m = createRequestManager({ engine, config });
    const a = collect(m.complete(req(), {}));
    await new Promise((r) => setTimeout(r, 4));
    await collect(m.complete(req({ prefix: BASE + "z" }), {}));
    await a;
    await settled(m);
    expect(probes(engine.calls).map((c) => c.fim.prefix)).toEqual([BASE + "zb"]);

    // sampled requests ask for no alternatives
    const sampled = createFakeEngine({ script, alternatives: () => ["b"] });
    const ms = createRequestManager({ engine: sampled, config });
    await collect(ms.complete(req({ sampling: { temperature: 0.8, topP: 1, topK: 0 } }), {}));
    await settled(ms);
    expect(sampled.calls.map((c) => c.alternatives)).toEqual([undefined]);

    // A short request finishes while another document's long one runs: with one engine sequence
    // (held by the long one) its probe is not admitted; with two it runs.
    for (const sequences of [1, 2]) {
      const busy = createFakeEngine({ script: (r) => (r.fim.prefix === "long" ? "x".repeat(120) : script(r)), alternatives: atBase(["b"]), sequences, tokenDelayMs: 1 });
      const mb = createRequestManager({ engine: busy, config });
      const long = collect(mb.complete(req({ documentKey: "file:///long.ts", prefix: "long" }), {}));
      await collect(mb.complete(req(), {}));
      await long;
      await settled(mb);
      expect(probes(busy.calls).map((c) => c.fim.prefix)).toEqual(sequences === 1 ? [] : [BASE + "b"]);
    }

    // lookahead 0: no alternatives asked, no probes
    const offEngine = createFakeEngine({ script, alternatives: () => ["b"] });
    const off = createRequestManager({ engine: offEngine, config: ConfigSchema.parse({ requests: { lookahead: 0 } }) });
    await collect(off.complete(req(), {}));
    await settled(off);
    expect(offEngine.calls.map((c) => [c.alternatives, c.probe])).toEqual([[undefined, undefined]]);
  });

  it("a keystroke during a probe stops it and waits for it to leave the engine", async () => {
    let probeStarted = false;
    const engine = createFakeEngine({
      script: (r) => {
        if (r.probe) probeStarted = true;
        return script(r);
      },
      alternatives: atBase(["b", "c"]),
      tokenDelayMs: 20,
    });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    for (let i = 0; i < 100 && !probeStarted; i++) await new Promise((r) => setTimeout(r, 1));
    expect(probeStarted).toBe(true);
    const r = await collect(m.complete(req({ prefix: BASE + "z" }), {}));
    expect(r.done.text).toBe("zz;");
    await settled(m);
    // the running probe ended cancelled without a token, the second never started
    expect(probes(engine.calls).length).toBe(1);
    expect(m.counters()).toMatchObject({ lookaheads: 1, reusedLookahead: 0 });
  });

  it("if the generation streams something other than the probe's text, the request ends with the probe's text", async () => {
    let calls = 0;
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix === BASE + "b" && ++calls > 1 ? "ZZZ;" : script(r)), alternatives: () => ["b"] });
    const logged: string[] = [];
    const m = createRequestManager({ engine, config, log: (msg) => logged.push(msg) });
    await collect(m.complete(req(), {}));
    await settled(m);
    const r = await collect(m.complete(req({ prefix: BASE + "b" }), {}));
    expect(r.deltas).toEqual(["ar("]);
    expect(r.done).toMatchObject({ text: "ar(", stopReason: "error", reused: "lookahead" });
    expect(logged).toEqual(["lookahead text differs from its generation"]);
  });

  it("a running probe gives its engine slot to another document's request that needs one", async () => {
    let probeStarted = false;
    const engine = createFakeEngine({
      script: (r) => {
        if (r.probe) probeStarted = true;
        return r.fim.prefix === "long" ? "x".repeat(60) : script(r);
      },
      alternatives: atBase(["b"]),
      sequences: 2,
      tokenDelayMs: 15,
    });
    const m = createRequestManager({ engine, config });
    const long = collect(m.complete(req({ documentKey: "file:///long.ts", prefix: "long" }), {}));
    await collect(m.complete(req(), {}));
    for (let i = 0; i < 200 && !probeStarted; i++) await new Promise((r) => setTimeout(r, 1));
    expect(probeStarted).toBe(true);
    // both slots are taken (the long document, the probe): a third document's request ends the probe
    const third = await collect(m.complete(req({ documentKey: "file:///c.ts", prefix: BASE + "z" }), {}));
    expect(third.done.text).toBe("zz;");
    await long;
    await settled(m);
    expect(m.counters()).toMatchObject({ lookaheads: 1, lookaheadTokens: 0, shed: 0 });
    // the probe ended before its token: the first document's next request finds no result
    const typed = await collect(m.complete(req({ prefix: BASE + "b" }), {}));
    expect(typed.done.reused).toBeUndefined();
  });

  it("no leaks after a storm of 1,000 requests with probes in flight, and close() ends the probes", async () => {
    const engine = createFakeEngine({ script: () => "yy(1);", alternatives: () => ["a", "b"], tokenDelayMs: 1, sequences: 4 });
    const m = createRequestManager({ engine, config });
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      // a third of them run to the end (and start probes), the rest are aborted at once
      runs.push(collect(m.complete(req({ documentKey: `doc${i % 20}`, prefix: `q${i % 60}` + (i % 2 ? "a" : "") }), { signal: ac.signal })).catch((e: unknown) => e));
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, 1));
      else ac.abort();
    }
    await Promise.all(runs);
    await settled(m);
    expect(m.counters().lookaheads).toBeGreaterThan(0);
    expect(m.stats()).toMatchObject({ inFlight: 0, generationsActive: 0, queued: 0 });
    expect(engine.active()).toBe(0);
    // close() while probes run: they end, nothing stays active
    await collect(m.complete(req({ documentKey: "last" }), {}));
    await new Promise((r) => setTimeout(r, 1));
    await m.close();
    await settled(m);
    expect(engine.active()).toBe(0);
  });

  it("superseded before its generation caught up, a lookahead-served request ends cancelled with the probe's text", async () => {
    const engine = createFakeEngine({ script, alternatives: atBase(["b"]), tokenDelayMs: 15 });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    await settled(m);
    const it = m.complete(req({ prefix: BASE + "b" }), {})[Symbol.asyncIterator]();
    const first = (await it.next()).value as CompletionEvent;
    expect(first).toMatchObject({ type: "delta", text: "ar(" });
    // the next keystroke arrives before the generation's first token
    const next = collect(m.complete(req({ prefix: BASE + "bz" }), {}));
    let done: CompletionEvent | undefined;
    for (let x = await it.next(); !x.done; x = await it.next()) done = x.value;
    expect(done).toMatchObject({ type: "done", stopReason: "cancelled", text: "ar(", reused: "lookahead" });
    await next;
  });
});
