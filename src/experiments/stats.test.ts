/** Statistics against hand-computed reference values (worked in the comments). */
import { describe, expect, it } from "vitest";
import {
  bootstrapCI,
  bootstrapQuantileCIs,
  chiSquare,
  normalCdf,
  normalInterval,
  normalQuantile,
  percentile,
  sampleSizePerArm,
  seededRandom,
  twoProportionZ,
  wilson,
} from "./stats.js";

describe("stats", () => {
  it("normal CDF and quantile", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
  });

  it("Wilson interval", () => {
    // 50/100: centre (0.5 + z²/200)/(1 + z²/100) = 0.5; half = z·√(0.0025 + z²/40000)/(1 + z²/100) = 0.0961683
    const a = wilson(50, 100);
    expect(a.p).toBe(0.5);
    expect(a.low).toBeCloseTo(0.4038317, 6);
    expect(a.high).toBeCloseTo(0.5961683, 6);
    // 0/10: centre = half = (z²/20)/(1 + z²/10) = 0.1387663 → [0, 0.2775326]
    const b = wilson(0, 10);
    expect(b.low).toBeCloseTo(0, 10);
    expect(b.high).toBeCloseTo(0.2775326, 6);
    expect(wilson(0, 0)).toMatchObject({ p: 0, low: 0, high: 1 });
  });

  it("normal (Wald) interval", () => {
    // 30/100: 0.3 ± 1.959964·√(0.21/100) = 0.3 ± 0.0898168
    const w = normalInterval(30, 100);
    expect(w.low).toBeCloseTo(0.2101832, 6);
    expect(w.high).toBeCloseTo(0.3898168, 6);
  });

  it("two-proportion z-test", () => {
    // 45/100 vs 60/100: pooled 0.525, se = √(0.525·0.475·0.02) = 0.0706222, z = 0.15/se = 2.123977,
    // p = 2(1 − Φ(z)) = 0.03367; unpooled se = √(0.002475 + 0.0024) = 0.0698212 → diff CI 0.15 ± 0.136847
    const t = twoProportionZ(45, 100, 60, 100);
    expect(t.diff).toBeCloseTo(0.15, 12);
    expect(t.z).toBeCloseTo(2.123977, 5);
    expect(t.pValue).toBeCloseTo(0.03367, 4);
    expect(t.low).toBeCloseTo(0.013153, 5);
    expect(t.high).toBeCloseTo(0.286847, 5);
    expect(twoProportionZ(0, 0, 1, 2).pValue).toBe(1);
  });

  it("percentiles (linear interpolation)", () => {
    const xs = [50, 100, 150, 200];
    expect(percentile(xs, 0.5)).toBe(125);
    expect(percentile(xs, 0.9)).toBeCloseTo(185, 10); // h = 3·0.9 = 2.7 → 150 + 0.7·50
    expect(percentile(xs, 0)).toBe(50);
    expect(percentile(xs, 1)).toBe(200);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("sample size per arm", () => {
    // 0.5 → 0.6, α 0.05, power 0.8: (1.959964·√0.495 + 0.841621·√0.49)² / 0.01 = 387.34 → 388
    expect(sampleSizePerArm(0.5, 0.6)).toBe(388);
    expect(sampleSizePerArm(0.3, 0.3)).toBe(Infinity);
  });

  it("seeded bootstrap is reproducible and brackets the estimate", () => {
    const xs = Array.from({ length: 200 }, (_, i) => (i * 37) % 101);
    const med = (s: number[]): number =>
      percentile(
        s.sort((a, b) => a - b),
        0.5,
      );
    const a = bootstrapCI(xs, med, { seed: 7, iterations: 500 });
    const b = bootstrapCI(xs, med, { seed: 7, iterations: 500 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThanOrEqual(a.estimate);
    expect(a.high).toBeGreaterThanOrEqual(a.estimate);
    expect(a.high - a.low).toBeGreaterThan(0);
    expect(bootstrapCI([5, 5, 5], med)).toEqual({ estimate: 5, low: 5, high: 5 });
  });

  it("quantile bootstraps by counts give exactly what resampling and sorting gives (ties, small and odd sizes)", async () => {
    const f = seededRandom(3);
    const qs = [0, 0.5, 0.9, 0.99, 1];
    for (const n of [1, 2, 5, 37, 200]) {
      const xs = Array.from({ length: n }, () => Math.floor(f() * 30) * 2.5); // many ties
      const fast = await bootstrapQuantileCIs(xs, qs, { seed: 11, iterations: 300, sliceMs: 0 }); // sliceMs 0: gives way after every resample
      const slow = qs.map((q) => bootstrapCI(xs, (s) => percentile(s.sort((a, b) => a - b), q), { seed: 11, iterations: 300 }));
      expect(fast, `n ${n}`).toEqual(slow);
    }
    expect(await bootstrapQuantileCIs([], [0.5])).toEqual([{ estimate: NaN, low: NaN, high: NaN }]);
  });

  it("chi-square statistic", () => {
    // (10−15)²/15 + (20−15)²/15 = 3.3333
    expect(chiSquare([10, 20], [15, 15])).toBeCloseTo(10 / 3, 10);
  });
});
