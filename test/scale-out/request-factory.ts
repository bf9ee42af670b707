/** EngineRequest factory for scale-out tests. */
import type { EngineEvent, EngineRequest } from "../../src/core/types.js";

/** A greedy request with sane defaults; `over` replaces fields. */
export function engineRequest(over: Partial<EngineRequest> = {}): EngineRequest {
  return {
    tenant: "t1",
    affinityKey: "t1:file:///a.py",
    fim: { prefix: "def add(a, b):\n    ", suffix: "\n\nprint(add(1, 2))\n", language: "python" },
    sampling: { temperature: 0, topP: 1, topK: 0 },
    stop: { maxTokens: 32, stop: [], mode: "none" },
    speculative: { enabled: false },
    ...over,
  };
}

/** Drains an engine stream: the deltas' text and the done event. */
export async function drain(events: AsyncIterable<EngineEvent>): Promise<{ deltas: string[]; done: Extract<EngineEvent, { type: "done" }> }> {
  const deltas: string[] = [];
  for await (const e of events) {
    if (e.type === "delta") deltas.push(e.text);
    else return { deltas, done: e };
  }
  throw new Error("stream ended without done");
}
