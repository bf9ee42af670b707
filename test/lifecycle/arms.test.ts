/**
 * Experiment arms in the request lifecycle: sticky assignment by user, the arm's model and token
 * limit applied, the arm and the client's telemetry level carried into the completion record.
 */
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import type { CompletionRecordInput, FeedbackContext, FeedbackService } from "../../src/feedback/types.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import type { CompletionRequest } from "../../src/requests/types.js";

const config = ConfigSchema.parse({
  experiments: [{ id: "exp1", arms: [{ name: "control" }, { name: "short", model: "v2", maxTokens: 3 }] }],
});

function recording() {
  const records: { rec: CompletionRecordInput; ctx: FeedbackContext }[] = [];
  const fb: FeedbackService = {
    async recordCompletion(rec, ctx) {
      records.push({ rec, ctx });
    },
    async ingest(evs) {
      return { accepted: evs.length };
    },
    async close() {},
  };
  return { fb, records };
}

const request = (user: string, telemetry?: "off" | "metrics" | "code"): CompletionRequest => ({
  tenant: "t1",
  user,
  documentKey: `${user}:file.ts`,
  fim: { prefix: "const a = 1;\n", suffix: "" },
  sampling: { temperature: 0, topP: 1, topK: 0 },
  stop: { maxTokens: 16, stop: [], mode: "none" },
  source: "native",
  arrivedAt: Date.now(),
  ...(telemetry ? { telemetry } : {}),
});

describe("experiment arms in the RequestManager", () => {
  it("assigns sticky arms, applies the arm's model and limits, records arm and client telemetry", async () => {
    const engine = createFakeEngine({ tokenDelayMs: 0, script: () => "abcdefghijklmnopqrstuvwxyz" });
    const { fb, records } = recording();
    const manager = createRequestManager({ engine, config, feedback: fb, coalesceMs: 0, log: () => {} });
    const arms = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const user = `user-${i % 20}`;
      for await (const ev of manager.complete(request(user, "metrics"), {})) {
        if (ev.type !== "done") continue;
        expect(ev.arm?.experiment).toBe("exp1");
        const prev = arms.get(user);
        if (prev) expect(ev.arm?.arm).toBe(prev); // sticky
        arms.set(user, ev.arm!.arm);
        if (ev.arm!.arm === "short") expect(ev.modelVersion).toBe("v2");
      }
    }
    const counts = [...arms.values()].reduce<Record<string, number>>((m, a) => ((m[a] = (m[a] ?? 0) + 1), m), {});
    expect(Object.keys(counts).sort()).toEqual(["control", "short"]);
    // the engine saw the arm's model and token limit
    const shortCalls = engine.calls.filter((c) => c.model === "v2");
    expect(shortCalls.length).toBeGreaterThan(0);
    expect(shortCalls.every((c) => c.stop.maxTokens === 3)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.rec.arm?.experiment === "exp1" && r.ctx.telemetry === "metrics")).toBe(true);
    await manager.close();
  });
});
