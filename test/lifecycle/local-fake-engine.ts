/**
 * A tiny scripted engine for lifecycle tests (until/besides src/engines/fake): emits `script(req)`
 * one token (up to 2 characters) every `tokenDelayMs`, honours the signal between tokens.
 */
import type { Engine, EngineEvent, EngineRequest, Usage } from "../../src/core/types.js";
import { sleep } from "../../src/core/abort.js";

/** A scripted fake engine with call records. */
export interface LocalFakeEngine extends Engine {
  calls: EngineRequest[];
  active(): number;
}

function usage(tokens: number): Usage {
  return {
    promptTokens: 10,
    promptTokensReused: 0,
    promptTokensEvaluated: 10,
    completionTokens: tokens,
    timings: { queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0 },
    truncated: false,
  };
}

/** Creates the fake; `script` maps a request to the full text it will generate. */
export function createLocalFakeEngine(opts: { script: (req: EngineRequest) => string; tokenDelayMs?: number; sequences?: number }): LocalFakeEngine {
  const calls: EngineRequest[] = [];
  let active = 0;
  const delay = opts.tokenDelayMs ?? 1;
  return {
    info: { id: "fake", kind: "fake", model: "fake-model", modelVersion: "fake-1", family: "ghostline", contextSize: 512, sequences: opts.sequences ?? 2 },
    calls,
    active: () => active,
    async *complete(request: EngineRequest, { signal }: { signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
      calls.push(request);
      active++;
      try {
        const full = opts.script(request);
        let text = "";
        let tokens = 0;
        for (let i = 0; i < full.length; i += 2) {
          await sleep(delay, signal);
          if (signal?.aborted) {
            yield { type: "done", stopReason: "cancelled", usage: usage(tokens), text };
            return;
          }
          const piece = full.slice(i, i + 2);
          text += piece;
          tokens++;
          yield { type: "delta", text: piece, tokens: 1 };
        }
        yield { type: "done", stopReason: "eos", usage: usage(tokens), text };
      } finally {
        active--;
      }
    },
    async health() {
      return { ok: true as const };
    },
    async close() {},
  };
}
