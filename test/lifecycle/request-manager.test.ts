import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import type { CompletionEvent, CompletionRequest, CompletionDone } from "../../src/requests/types.js";
import { isGhostlineError } from "../../src/core/errors.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";

const config = ConfigSchema.parse({});

function req(over: Partial<CompletionRequest> & { prefix?: string; suffix?: string } = {}): CompletionRequest {
  const { prefix = "const x = ", suffix = "\n", ...rest } = over;
  return {
    tenant: "t1",
    documentKey: "file:///a.ts",
    fim: { prefix, suffix },
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: 64, stop: [], mode: "none" },
    source: "native",
    arrivedAt: Date.now(),
    ...rest,
  };
}

async function collect(it: AsyncIterable<CompletionEvent>): Promise<{ deltas: string; done: CompletionDone }> {
  let deltas = "";
  for await (const ev of it) {
    if (ev.type === "delta") deltas += ev.text;
    else return { deltas, done: ev };
  }
  throw new Error("stream ended without done");
}

const SCRIPT = "hello_world(42);";

describe("request manager", () => {
  it("streams a completion and builds the engine request", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const m = createRequestManager({ engine, config });
    const r = await collect(m.complete(req({ deadlineMs: 500, arrivedAt: 1000, speculative: { k: 3 } }), {}));
    expect(r.deltas).toBe(SCRIPT);
    expect(r.done.text).toBe(SCRIPT);
    expect(r.done.stopReason).toBe("eos");
    expect(r.done.completionId).toMatch(/^cmpl-/);
    expect(r.done.reused).toBeUndefined();
    const call = engine.calls[0]!;
    expect(call.deadline).toBe(1500);
    expect(call.affinityKey).toBe("t1\u0000\u0000file:///a.ts");
    expect(call.speculative).toMatchObject({ enabled: true, k: 3, maxK: 8 });
    expect(m.stats()).toMatchObject({ inFlight: 0, generationsActive: 0 });
  });

  it("cancel before start never calls the engine", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const m = createRequestManager({ engine, config });
    const ac = new AbortController();
    ac.abort();
    const r = await collect(m.complete(req(), { signal: ac.signal }));
    expect(r.done.stopReason).toBe("cancelled");
    expect(engine.calls.length).toBe(0);
  });

  it("cancels mid-stream and stops the engine", async () => {
    const engine = createFakeEngine({ script: () => "x".repeat(400), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const ac = new AbortController();
    let n = 0;
    let done: CompletionDone | undefined;
    for await (const ev of m.complete(req(), { signal: ac.signal })) {
      if (ev.type === "delta" && ++n === 3) ac.abort();
      if (ev.type === "done") done = ev;
    }
    expect(done?.stopReason).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 20));
    expect(engine.active()).toBe(0);
    expect(m.stats().inFlight).toBe(0);
  });

  it("latest wins: a new request for the document cancels the old one", async () => {
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix.endsWith("a") ? "AAAAAAAAAAAAAAAAAAAAAAAA" : "BB"), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const first = collect(m.complete(req({ prefix: "a" }), {}));
    await new Promise((r) => setTimeout(r, 10));
    const second = collect(m.complete(req({ prefix: "b" }), {}));
    const [a, b] = await Promise.all([first, second]);
    expect(a.done.stopReason).toBe("cancelled");
    expect(b.done.text).toBe("BB");
    expect(m.counters().cancelled).toBe(1);
  });

  it("latest wins per client: another developer's request for the same file path (one team key) does not cancel", async () => {
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix.endsWith("a") ? "AAAAAAAAAAAAAAAAAAAAAAAA" : "BB"), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const first = collect(m.complete(req({ prefix: "a", client: "user:alice" }), {}));
    await new Promise((r) => setTimeout(r, 10));
    const second = collect(m.complete(req({ prefix: "b", client: "user:bob" }), {}));
    const [a, b] = await Promise.all([first, second]);
    expect(a.done.stopReason).toBe("eos");
    expect(a.deltas).toBe("AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(b.done.text).toBe("BB");
    expect(m.counters().cancelled).toBe(0);
    // and the same client still supersedes itself
    const third = collect(m.complete(req({ prefix: "ca", client: "user:alice" }), {}));
    await new Promise((r) => setTimeout(r, 10));
    const fourth = collect(m.complete(req({ prefix: "cb", client: "user:alice" }), {}));
    expect((await third).done.stopReason).toBe("cancelled");
    expect((await fourth).done.text).toBe("BB");
  });

  it("typing-through keeps the in-flight completion (no new engine call)", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 3 });
    const m = createRequestManager({ engine, config });
    const first = m.complete(req(), {})[Symbol.asyncIterator]();
    let seen = "";
    while (seen.length < 6) {
      const ev = (await first.next()).value as CompletionEvent;
      if (ev.type === "delta") seen += ev.text;
    }
    const typed = seen.slice(0, 4);
    const second = await collect(m.complete(req({ prefix: "const x = " + typed }), {}));
    expect(second.done.reused).toBe("typing-through");
    expect(second.deltas).toBe(SCRIPT.slice(4));
    expect(second.done.text).toBe(SCRIPT.slice(4));
    expect(engine.calls.length).toBe(1);
    const rest = await first.next();
    expect((rest.value as CompletionDone).stopReason).toBe("cancelled");
  });

  it("typing-through a finished completion and falling back when the typed char differs", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req(), {}));
    const tt = await collect(m.complete(req({ prefix: "const x = hel" }), {}));
    expect(tt.done.reused).toBe("typing-through");
    expect(tt.done.text).toBe("lo_world(42);");
    const miss = await collect(m.complete(req({ prefix: "const x = hex" }), {}));
    expect(miss.done.reused).toBeUndefined();
    expect(engine.calls.length).toBe(2);
  });

  it("serves the cache (exact and forwarded) within a tenant, never across tenants", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req({ documentKey: "d1" }), {}));
    const exact = await collect(m.complete(req({ documentKey: "d2" }), {}));
    expect(exact.done.reused).toBe("cache");
    expect(exact.done.text).toBe(SCRIPT);
    const fwd = await collect(m.complete(req({ documentKey: "d3", prefix: "const x = hello_" }), {}));
    expect(fwd.done.reused).toBe("cache");
    expect(fwd.done.text).toBe("world(42);");
    expect(engine.calls.length).toBe(1);
    const other = await collect(m.complete(req({ tenant: "t2", documentKey: "d1" }), {}));
    expect(other.done.reused).toBeUndefined();
    expect(engine.calls.length).toBe(2);
  });

  it("sheds with overloaded while admitted requests complete", async () => {
    const engine = createFakeEngine({ script: () => "abcdefgh", tokenDelayMs: 2, sequences: 1 });
    const m = createRequestManager({ engine, config: ConfigSchema.parse({ requests: { queueLimit: 1 } }) });
    const a = collect(m.complete(req({ documentKey: "a" }), {}));
    const b = collect(m.complete(req({ documentKey: "b", prefix: "other" }), {}));
    const shed = collect(m.complete(req({ documentKey: "c", prefix: "third" }), {})).then(
      () => undefined,
      (e: unknown) => e,
    );
    const [ra, rb, err] = await Promise.all([a, b, shed]);
    expect(isGhostlineError(err, "overloaded")).toBe(true);
    expect(ra.done.stopReason).toBe("eos");
    expect(rb.done.stopReason).toBe("eos");
  });

  it("a burst of 100 requests for one document results in about one generation", async () => {
    const engine = createFakeEngine({ script: () => "zzzzzzzzzzzz", tokenDelayMs: 1 });
    const m = createRequestManager({ engine, config });
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) runs.push(collect(m.complete(req({ prefix: `p${i}` }), {})));
    const results = (await Promise.all(runs)) as { done: CompletionDone }[];
    expect(results.filter((r) => r.done.stopReason === "cancelled").length).toBe(99);
    expect(engine.calls.length).toBeLessThanOrEqual(2);
  });

  it("no leaks after a storm of 1,000 cancelled requests", async () => {
    const engine = createFakeEngine({ script: () => "y".repeat(100), tokenDelayMs: 1, sequences: 4 });
    const m = createRequestManager({ engine, config });
    const signals: AbortSignal[] = [];
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      signals.push(ac.signal);
      runs.push(collect(m.complete(req({ documentKey: `doc${i % 50}`, prefix: `q${i}` }), { signal: ac.signal })).catch((e: unknown) => e));
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
      ac.abort();
    }
    await Promise.all(runs);
    await new Promise((r) => setTimeout(r, 30));
    expect(m.stats().inFlight).toBe(0);
    expect(m.stats().generationsActive).toBe(0);
    expect(m.stats().queued).toBe(0);
    expect(engine.active()).toBe(0);
  });
});

describe("prefetch and priorities", () => {
  it("after an accept, the next completion is prefetched and served from it", async () => {
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix.endsWith(SCRIPT) ? "NEXT();" : SCRIPT) });
    const m = createRequestManager({ engine, config });
    const first = await collect(m.complete(req(), {}));
    m.onAccepted(first.done.completionId);
    await new Promise((r) => setImmediate(r));
    expect(engine.calls.length).toBe(2);
    expect(engine.calls[1]?.fim.prefix).toBe("const x = " + SCRIPT);
    const next = await collect(m.complete(req({ prefix: "const x = " + SCRIPT }), {}));
    expect(next.done.text).toBe("NEXT();");
    expect(next.done.reused).toBe("cache");
    expect(engine.calls.length).toBe(2);
  });

  it("a partial accept prefetches with the rest as client draft", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const m = createRequestManager({ engine, config });
    const first = await collect(m.complete(req(), {}));
    m.onAccepted(first.done.completionId, 5);
    await new Promise((r) => setImmediate(r));
    expect(engine.calls[1]?.fim.prefix).toBe("const x = hello");
    expect(engine.calls[1]?.clientDraft).toBe("_world(42);");
  });

  it("newer requests get higher engine priority", async () => {
    const engine = createFakeEngine({ script: () => "ab" });
    const m = createRequestManager({ engine, config });
    await collect(m.complete(req({ documentKey: "a" }), {}));
    await collect(m.complete(req({ documentKey: "b", prefix: "zz" }), {}));
    expect(engine.calls[1]!.priority!).toBeGreaterThan(engine.calls[0]!.priority!);
  });

  it("records every completion with feedback, fire-and-forget (a failing store does not break the stream)", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT });
    const records: string[] = [];
    const m = createRequestManager({
      engine,
      config,
      log: () => {},
      feedback: {
        recordCompletion: async (r) => {
          records.push(r.completionId);
          throw new Error("store down");
        },
        ingest: async () => ({ accepted: 0 }),
        close: async () => {},
      },
    });
    const r = await collect(m.complete(req(), {}));
    expect(records).toEqual([r.done.completionId]);
  });
});

describe("multi-line pacing", () => {
  const LINES = "first();\nsecond();\nthird();\n";
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Reads deltas until the first line is in (its "\n" comes with the rest, after the pause). */
  async function readFirstLine(it: AsyncIterator<CompletionEvent>): Promise<string> {
    let text = "";
    while (!text.includes("first();")) {
      const ev = (await it.next()).value as CompletionEvent;
      if (ev.type === "delta") text += ev.text;
    }
    return text;
  }

  /** Three keystrokes 100 ms apart (on the manager's clock); returns the third request's stream. */
  function typeThree(m: ReturnType<typeof createRequestManager>, clock: { t: number }, signal?: AbortSignal) {
    for (const p of ["k1", "k2"]) {
      void collect(m.complete(req({ prefix: p, arrivedAt: clock.t }), {}));
      clock.t += 100;
    }
    return m.complete(req({ prefix: "k3", arrivedAt: clock.t }), signal ? { signal } : {})[Symbol.asyncIterator]();
  }

  it("pauses after the first line while the user types, and goes on once the next keystroke is overdue", async () => {
    const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1 });
    const clock = { t: Date.now() };
    const m = createRequestManager({ engine, config, now: () => clock.t });
    const it3 = typeThree(m, clock);
    let text = await readFirstLine(it3);
    await pause(80); // the engine would have finished long ago
    expect(text).toBe("first();");
    expect(m.stats().generationsActive).toBe(1);
    clock.t += 151; // 1.5 × the 100 ms gaps: the next keystroke is overdue
    let done: CompletionDone | undefined;
    for (let r = await it3.next(); !r.done; r = await it3.next()) {
      const ev = r.value;
      if (ev.type === "delta") text += ev.text;
      else done = ev;
    }
    expect(text).toBe(LINES);
    expect(done?.stopReason).toBe("eos");
    expect(m.counters().paced).toBe(1);
  });

  it("a keystroke during the pause ends the generation at its first line: nothing after it is decoded or wasted", async () => {
    const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1 });
    const clock = { t: Date.now() };
    const m = createRequestManager({ engine, config, now: () => clock.t });
    const it3 = typeThree(m, clock);
    await readFirstLine(it3);
    await pause(20);
    const before = m.counters();
    clock.t += 100;
    const p4 = collect(m.complete(req({ prefix: "k4", arrivedAt: clock.t }), {}));
    const rest = await it3.next();
    clock.t += 200; // k4 is paced too (the user typed): let it go on
    const r4 = await p4;
    expect((rest.value as CompletionDone).stopReason).toBe("cancelled");
    expect(r4.done.text).toBe(LINES);
    // k3's generation delivered its first line (3 deltas) and ended there, finished, not cancelled
    const after = m.counters();
    expect(after.wastedTokens - before.wastedTokens).toBe(0);
    expect(after.generatedTokens - before.generatedTokens - r4.done.usage.completionTokens).toBe(3);
    expect(engine.active()).toBe(0);
  });

  it("when others wait for an engine slot, a paused generation ends at its first line", async () => {
    // 5 characters per delta: "();\ns" carries the first line's end and the next line's start
    const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1, sequences: 1, tokenChars: 5 });
    const clock = { t: Date.now() };
    const m = createRequestManager({ engine, config, now: () => clock.t });
    const it3 = typeThree(m, clock);
    const text = await readFirstLine(it3);
    const other = collect(m.complete(req({ documentKey: "file:///b.ts", prefix: "other", arrivedAt: clock.t }), {}));
    const rest = await collect({ [Symbol.asyncIterator]: () => it3 });
    expect(text + rest.deltas).toBe("first();"); // as line mode would end it
    expect(rest.done.stopReason).toBe("end_of_line");
    expect((await other).deltas).toBe(LINES);
    expect(m.counters()).toMatchObject({ paced: 1, wastedTokens: 0 });
  });

  it("n > 1 choices of one request, arriving together, are not taken for typing", async () => {
    const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1 });
    const clock = { t: Date.now() };
    const m = createRequestManager({ engine, config, now: () => clock.t });
    const choices = await Promise.all([0, 1, 2].map(() => collect(m.complete(req({ documentKey: undefined, parallel: true, arrivedAt: clock.t }), {}))));
    expect(choices.map((c) => c.deltas)).toEqual([LINES, LINES, LINES]);
    expect(m.counters().paced).toBe(0);
  });

  it("an HTTP request aborted during the pause stays paused while parked, and ends at its first line when the next request does not match", async () => {
    const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1 });
    const clock = { t: Date.now() };
    const m = createRequestManager({ engine, config, now: () => clock.t });
    const ac = new AbortController();
    const http = (prefix: string) => req({ documentKey: undefined, prefix, arrivedAt: clock.t });
    for (const p of ["k1", "k2"]) {
      void collect(m.complete(http(p), {}));
      clock.t += 100;
    }
    const it3 = m.complete(http("k3"), { signal: ac.signal })[Symbol.asyncIterator]();
    await readFirstLine(it3);
    ac.abort(); // the client's keystroke; its next request comes after its debounce
    for (let x = await it3.next(); !x.done; x = await it3.next());
    clock.t += 300; // past the pause: unparked, the generation would go on
    await pause(60);
    expect(engine.active()).toBe(1);
    const before = m.counters();
    const p4 = collect(m.complete(http("k4"), {}));
    clock.t += 500; // k4 is paced too (the user typed): let it go on
    const r4 = await p4;
    expect(r4.done.text).toBe(LINES);
    const after = m.counters();
    expect(after.wastedTokens - before.wastedTokens).toBe(0); // k3 ended at its first line, as line mode would
    expect(after.generatedTokens - before.generatedTokens - r4.done.usage.completionTokens).toBe(3);
  });

  it("does not pause a user who is not typing, nor when pacing is off", async () => {
    for (const paceMultilineMs of [400, 0]) {
      const engine = createFakeEngine({ script: () => LINES, tokenDelayMs: 1 });
      const clock = { t: Date.now() };
      const cfg = ConfigSchema.parse({ requests: { paceMultilineMs } });
      const m = createRequestManager({ engine, config: cfg, now: () => clock.t });
      if (paceMultilineMs === 0) {
        const r = await collect({ [Symbol.asyncIterator]: () => typeThree(m, clock) });
        expect(r.deltas).toBe(LINES);
      } else {
        const r = await collect(m.complete(req({ prefix: "alone", arrivedAt: clock.t }), {}));
        expect(r.deltas).toBe(LINES);
      }
      expect(m.counters().paced).toBe(0);
    }
  });
});

describe("HTTP typing-through (parked aborted generations)", () => {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const http = (over: Partial<CompletionRequest> & { prefix?: string } = {}) => req({ documentKey: undefined, ...over });

  /** Starts a request, reads until `chars` characters arrived, aborts it like an HTTP client at a keystroke. */
  async function abortAfter(m: ReturnType<typeof createRequestManager>, r: CompletionRequest, chars: number): Promise<string> {
    const ac = new AbortController();
    const it = m.complete(r, { signal: ac.signal })[Symbol.asyncIterator]();
    let seen = "";
    while (seen.length < chars) {
      const ev = (await it.next()).value as CompletionEvent;
      if (ev.type === "delta") seen += ev.text;
    }
    ac.abort();
    for (let x = await it.next(); !x.done; x = await it.next()) {
      if (x.value.type === "done") expect(x.value.stopReason).toBe("cancelled");
    }
    return seen;
  }

  it("the next request types through the aborted one's parked generation, which decoded nothing while parked", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const seen = await abortAfter(m, http(), 6);
    await pause(40); // unparked, the engine would have finished the 16 characters by now
    expect(engine.active()).toBe(1);
    const it = m.complete(http({ prefix: "const x = " + seen.slice(0, 4) }), {})[Symbol.asyncIterator]();
    const first = (await it.next()).value as CompletionEvent;
    // the first delta is what was buffered at the abort (at most one more 3-char token), not the rest
    expect(first.type).toBe("delta");
    expect(SCRIPT.slice(4).startsWith((first as { text: string }).text)).toBe(true);
    expect((first as { text: string }).text.length).toBeLessThanOrEqual(seen.length - 4 + 3);
    const rest = await collect({ [Symbol.asyncIterator]: () => it });
    expect((first as { text: string }).text + rest.deltas).toBe(SCRIPT.slice(4));
    expect(rest.done.reused).toBe("typing-through");
    expect(rest.done.stopReason).toBe("eos");
    expect(engine.calls.length).toBe(1);
    expect(m.counters()).toMatchObject({ reusedTypingThrough: 1, wastedTokens: 0, generations: 1 });
  });

  it("a request that does not match ends the parked generation and starts its own", async () => {
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix.endsWith("?") ? "other" : SCRIPT), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    await abortAfter(m, http(), 3);
    const r = await collect(m.complete(http({ prefix: "const x = ?" }), {}));
    expect(r.done.reused).toBeUndefined();
    expect(r.deltas).toBe("other");
    expect(engine.calls.length).toBe(2);
    expect(m.counters().wastedTokens).toBeGreaterThan(0);
    expect(engine.active()).toBe(0);
    expect(m.stats().generationsActive).toBe(0);
  });

  it("a parked generation nobody takes ends after parkAbortedMs; 0 turns parking off", async () => {
    for (const parkAbortedMs of [40, 0]) {
      const engine = createFakeEngine({ script: () => "x".repeat(300), tokenDelayMs: 2 });
      const m = createRequestManager({ engine, config: ConfigSchema.parse({ requests: { parkAbortedMs } }) });
      await abortAfter(m, http(), 3);
      await pause(10);
      expect(engine.active()).toBe(parkAbortedMs > 0 ? 1 : 0);
      await pause(60);
      expect(engine.active()).toBe(0);
      expect(m.stats().generationsActive).toBe(0);
      expect(m.counters().cancelled).toBe(1);
    }
  });

  it("another tenant's request never types through a parked generation (nor ends it)", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const seen = await abortAfter(m, http(), 6);
    const other = await collect(m.complete(http({ tenant: "t2", prefix: "const x = " + seen.slice(0, 4) }), {}));
    expect(other.done.reused).toBeUndefined();
    expect(engine.calls.length).toBe(2);
    expect(engine.calls[1]!.tenant).toBe("t2");
    // t1's parked generation is still there for t1
    const mine = await collect(m.complete(http({ prefix: "const x = " + seen.slice(0, 4) }), {}));
    expect(mine.done.reused).toBe("typing-through");
    expect(engine.calls.length).toBe(2);
  });

  it("another client's request for the same file (one team key) neither ends nor takes a parked generation", async () => {
    const engine = createFakeEngine({ script: (r) => (r.fim.prefix.endsWith("?") ? "other" : SCRIPT), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const seen = await abortAfter(m, http({ client: "addr:10.0.0.1" }), 6);
    // a colleague in the same file, typing something else: their own generation; alice's stays parked
    const bob = await collect(m.complete(http({ client: "addr:10.0.0.2", prefix: "const x = ?" }), {}));
    expect(bob.deltas).toBe("other");
    expect(bob.done.reused).toBeUndefined();
    // a colleague typing what alice was shown starts their own generation too (nobody's parked one)
    const carol = await collect(m.complete(http({ client: "addr:10.0.0.3", prefix: "const x = " + seen.slice(0, 4) }), {}));
    expect(carol.done.reused).not.toBe("typing-through");
    const mine = await collect(m.complete(http({ client: "addr:10.0.0.1", prefix: "const x = " + seen.slice(0, 4) }), {}));
    expect(mine.done.reused).toBe("typing-through");
    expect(mine.done.stopReason).toBe("eos");
    expect(m.counters().cancelled).toBe(1); // only alice's aborted request
    expect(m.counters().wastedTokens).toBe(0);
  });

  it("the next request types through the previous one still streaming (its abort comes later); sampled requests never share", async () => {
    for (const temperature of [0, 0.8]) {
      const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 2 });
      const m = createRequestManager({ engine, config });
      const sampling = { temperature, topP: 1, topK: 0 };
      const ac = new AbortController();
      const it1 = m.complete(http({ sampling }), { signal: ac.signal })[Symbol.asyncIterator]();
      let seen = "";
      while (seen.length < 6) {
        const ev = (await it1.next()).value as CompletionEvent;
        if (ev.type === "delta") seen += ev.text;
      }
      const second = collect(m.complete(http({ sampling, prefix: "const x = " + seen.slice(0, 4) }), {}));
      ac.abort(); // the old connection's close, read after the new request
      for (let x = await it1.next(); !x.done; x = await it1.next());
      const r = await second;
      if (temperature === 0) {
        expect(r.done.reused).toBe("typing-through");
        expect(r.deltas).toBe(SCRIPT.slice(4));
        expect(engine.calls.length).toBe(1);
        expect(m.counters().wastedTokens).toBe(0);
      } else {
        expect(r.done.reused).toBeUndefined();
        expect(engine.calls.length).toBe(2);
      }
    }
  });

  it("a request that typed everything streamed so far starts its own generation (its first token would wait for the old one's next pass)", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 5 });
    const m = createRequestManager({ engine, config });
    const ac = new AbortController();
    const it1 = m.complete(http(), { signal: ac.signal })[Symbol.asyncIterator]();
    const first = (await it1.next()).value as CompletionEvent;
    const typed = (first as { text: string }).text;
    const second = collect(m.complete(http({ prefix: "const x = " + typed }), {}));
    ac.abort();
    for (let x = await it1.next(); !x.done; x = await it1.next());
    const r = await second;
    expect(r.done.reused).toBeUndefined();
    expect(r.deltas).toBe(SCRIPT);
    expect(engine.calls.length).toBe(2);
  });

  it("an abort that reaches the server after the client's next request stops its generation (not parked)", async () => {
    const engine = createFakeEngine({ script: () => "x".repeat(300), tokenDelayMs: 2 });
    const m = createRequestManager({ engine, config });
    const ac = new AbortController();
    const it1 = m.complete(http(), { signal: ac.signal })[Symbol.asyncIterator]();
    await it1.next();
    // the next request came on a new connection and was read before the old socket's close
    const ac2 = new AbortController();
    const second = collect(m.complete(http({ prefix: "const x = y" }), { signal: ac2.signal }));
    ac.abort();
    for (let x = await it1.next(); !x.done; x = await it1.next());
    await pause(10);
    expect(engine.active()).toBe(1); // the second request's generation only
    ac2.abort();
    await second;
  });

  it("no leaks after a storm of 1,000 aborted HTTP requests: the last parked generation ends with its timeout", async () => {
    const engine = createFakeEngine({ script: () => "y".repeat(100), tokenDelayMs: 1, sequences: 4 });
    const m = createRequestManager({ engine, config: ConfigSchema.parse({ requests: { parkAbortedMs: 500 } }) });
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      // 50 files, HTTP style: no document key, each request aborted by the next keystroke
      const r = http({ fim: { prefix: `q${i}`, suffix: "\n", filepath: `f${i % 50}.ts` } });
      runs.push(collect(m.complete(r, { signal: ac.signal })).catch((e: unknown) => e));
      if (i % 7 === 0) await pause(0);
      ac.abort();
    }
    await Promise.all(runs);
    await pause(10);
    expect(m.stats().generationsActive).toBeGreaterThan(0); // parked, within their 500 ms
    await pause(650);
    expect(m.stats().inFlight).toBe(0);
    expect(m.stats().generationsActive).toBe(0);
    expect(m.stats().queued).toBe(0);
    expect(engine.active()).toBe(0);
  });

  it("a parked generation gives its engine slot to a request that needs one", async () => {
    const engine = createFakeEngine({ script: () => SCRIPT, tokenDelayMs: 2, sequences: 1 });
    const m = createRequestManager({ engine, config: ConfigSchema.parse({ requests: { queueLimit: 0 } }) });
    await abortAfter(m, http(), 3);
    expect(m.stats().generationsActive).toBe(1);
    // another file, another affinity key: with no queue it would be shed if the parked one kept its slot
    const r = await collect(m.complete(http({ fim: { prefix: "let y = ", suffix: "\n", filepath: "b.ts" } }), {}));
    expect(r.done.stopReason).toBe("eos");
    expect(m.counters().shed).toBe(0);
    expect(engine.active()).toBe(0);
  });
});
