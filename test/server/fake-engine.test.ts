import { describe, expect, it } from "vitest";
import type { EngineEvent, EngineRequest } from "../../src/core/types.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";

function req(over: Partial<EngineRequest> = {}): EngineRequest {
  return {
    tenant: "t",
    affinityKey: "t",
    fim: { prefix: "a", suffix: "b" },
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: 100, stop: [], mode: "none" },
    speculative: { enabled: false },
    ...over,
  };
}

async function all(it: AsyncIterable<EngineEvent>): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe("fake engine", () => {
  it("streams the script in deltas and records the request", async () => {
    const e = createFakeEngine({ script: () => "abcdefg", tokenChars: 3, tokenDelayMs: 0 });
    const evs = await all(e.complete(req(), {}));
    expect(evs.filter((x) => x.type === "delta").map((x) => (x as { text: string }).text)).toEqual(["abc", "def", "g"]);
    expect(evs.at(-1)).toMatchObject({ type: "done", stopReason: "eos", text: "abcdefg" });
    expect(e.calls).toHaveLength(1);
  });

  it("applies maxTokens, stop strings, line and block mode", async () => {
    const e = createFakeEngine({ script: () => "one two\nthree\n\nfour", tokenChars: 1, tokenDelayMs: 0 });
    const done = async (r: EngineRequest) => (await all(e.complete(r, {}))).at(-1);
    expect(await done(req({ stop: { maxTokens: 2, stop: [], mode: "none" } }))).toMatchObject({ stopReason: "max_tokens", text: "on" });
    expect(await done(req({ stop: { maxTokens: 99, stop: [" "], mode: "none" } }))).toMatchObject({ stopReason: "stop_string", text: "one" });
    expect(await done(req({ stop: { maxTokens: 99, stop: [], mode: "line" } }))).toMatchObject({ stopReason: "end_of_line", text: "one two" });
    expect(await done(req({ stop: { maxTokens: 99, stop: [], mode: "block" } }))).toMatchObject({ stopReason: "end_of_block", text: "one two\nthree" });
  });

  it("ends cancelled within one step of an abort, and before start", async () => {
    const e = createFakeEngine({ script: () => "x".repeat(1000), tokenChars: 1, tokenDelayMs: 5 });
    const c = new AbortController();
    const evs: EngineEvent[] = [];
    for await (const ev of e.complete(req(), { signal: c.signal })) {
      evs.push(ev);
      if (evs.length === 2) c.abort();
    }
    expect(evs).toHaveLength(3);
    expect(evs.at(-1)).toMatchObject({ type: "done", stopReason: "cancelled", text: "xx" });
    expect(e.active()).toBe(0);
    const pre = await all(e.complete(req(), { signal: c.signal }));
    expect(pre).toEqual([expect.objectContaining({ type: "done", stopReason: "cancelled", text: "" })]);
  });
});
