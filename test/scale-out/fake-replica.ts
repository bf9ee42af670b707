/** An in-process fake Engine replica for router tests: records requests, can fail, can block. */
import { GhostlineError, type ErrorCode } from "../../src/core/errors.js";
import type { Engine, EngineEvent, EngineRequest, Usage } from "../../src/core/types.js";

export interface FakeReplica extends Engine {
  name: string;
  calls: EngineRequest[];
  /** Throw this code before streaming (null = work). */
  failWith: ErrorCode | null;
  /** Throw after the first delta. */
  failMidStream: boolean;
  healthy: boolean;
  /** Pending requests wait until `release()`. */
  hold: boolean;
  release(): void;
}

const USAGE: Usage = {
  promptTokens: 1, promptTokensReused: 0, promptTokensEvaluated: 1, completionTokens: 1,
  timings: { queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0 }, truncated: false,
};

export function fakeReplica(name: string): FakeReplica {
  let waiters: (() => void)[] = [];
  const r: FakeReplica = {
    name,
    calls: [],
    failWith: null,
    failMidStream: false,
    healthy: true,
    hold: false,
    release() {
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    },
    info: { id: `fake-${name}`, kind: "fake", model: "m", modelVersion: "1", family: "ghostline", contextSize: 512, sequences: 2 },
    async *complete(request: EngineRequest): AsyncGenerator<EngineEvent> {
      r.calls.push(request);
      if (r.hold) await new Promise<void>((res) => waiters.push(res));
      if (r.failWith) throw new GhostlineError(r.failWith, `${name} failed`);
      yield { type: "delta", text: name, tokens: 1 };
      if (r.failMidStream) throw new GhostlineError("engine_error", "mid-stream");
      yield { type: "done", stopReason: "eos", usage: USAGE, text: name };
    },
    async health() {
      if (!r.healthy) throw new GhostlineError("upstream_unavailable", "down");
      return { ok: true };
    },
    async close() {},
  };
  return r;
}
