/** The per-arm report on fixed outcomes (numbers match the stats reference values). */
import { describe, expect, it } from "vitest";
import type { CompletionOutcome } from "../feedback/metrics.js";
import type { StoredCompletion } from "../feedback/schemas.js";
import { reportFromOutcomes } from "./report.js";

function outcome(
  id: string,
  arm: string,
  accepted: boolean,
  latencyMs: number,
  kept?: boolean,
): CompletionOutcome {
  const c = { completionId: id, experiment: "e", arm, latencyMs, textChars: 10 } as StoredCompletion;
  const retention = new Map<number, { similarity: number; stillPresent: boolean }>();
  if (kept !== undefined) retention.set(300, { similarity: kept ? 1 : 0, stillPresent: kept });
  return {
    c,
    shown: true,
    accepted,
    partial: false,
    dismissed: !accepted,
    acceptedChars: accepted ? 10 : 0,
    retention,
  };
}

describe("experiment report", () => {
  const outs: CompletionOutcome[] = [];
  for (let i = 0; i < 100; i++)
    outs.push(outcome(`a${i}`, "control", i < 45, 100 + i, i < 45 ? i < 30 : undefined));
  for (let i = 0; i < 100; i++)
    outs.push(outcome(`b${i}`, "treat", i < 60, 200 + i, i < 60 ? i < 30 : undefined));
  outs.push(outcome("x", "other-exp-arm", true, 1));
  outs[outs.length - 1]!.c.experiment = "other";

  it("reports per-arm acceptance, retention and latency with intervals and a z-test vs control", async () => {
    const r = await reportFromOutcomes("e", "t", outs, { arms: ["control", "treat"], iterations: 200, seed: 3 });
    expect(r.control).toBe("control");
    const [a, b] = r.arms;
    expect(a!.acceptance).toMatchObject({ successes: 45, n: 100 });
    expect(b!.acceptance).toMatchObject({ successes: 60, n: 100 });
    expect(b!.vsControl!.acceptance.z).toBeCloseTo(2.123977, 5);
    expect(b!.vsControl!.acceptance.pValue).toBeCloseTo(0.03367, 4);
    // retention at 5 min: 30/45 vs 30/60
    expect(a!.retention).toMatchObject({ successes: 30, n: 45 });
    expect(b!.retention).toMatchObject({ successes: 30, n: 60 });
    expect(a!.latencyMs.p50.estimate).toBeCloseTo(149.5, 10);
    expect(b!.latencyMs.p50.low).toBeLessThanOrEqual(249.5);
    expect(b!.latencyMs.p50.high).toBeGreaterThanOrEqual(249.5);
    expect(a!.vsControl).toBeUndefined();
    // stopping rule: 0.45 → 0.47 needs (1.96·√(2·0.46·0.54) + 0.8416·√(0.2475+0.2491))²/0.0004 ≈ 9,760 per arm
    expect(r.stopping.requiredPerArm).toBeGreaterThan(9_700);
    expect(r.stopping.requiredPerArm).toBeLessThan(9_800);
    expect(r.stopping.status).toBe("collecting");
    const big = await reportFromOutcomes("e", "t", outs, { arms: ["control", "treat"], mde: 0.2, iterations: 50 });
    expect(big.stopping.status).toBe("significant");
  });
});
