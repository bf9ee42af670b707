import { describe, expect, it } from "vitest";
import { acceptDrafts } from "./rejection.js";
import { createRng, sample, type TokenDist } from "./sampling.js";

/** Pearson chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: Map<number, number>, p: TokenDist, n: number): number {
  let chi = 0;
  for (const [t, pt] of p) {
    const e = pt * n;
    const o = counts.get(t) ?? 0;
    chi += ((o - e) * (o - e)) / e;
  }
  for (const t of counts.keys()) if (!p.has(t)) return Infinity;
  return chi;
}

const p1: TokenDist = new Map([
  [1, 0.5],
  [2, 0.3],
  [3, 0.2],
]);
const q1: TokenDist = new Map([
  [1, 0.2],
  [2, 0.2],
  [3, 0.6],
]);
const p2: TokenDist = new Map([
  [1, 0.1],
  [2, 0.6],
  [3, 0.3],
]);
const q2: TokenDist = new Map([
  [1, 0.7],
  [2, 0.1],
  [3, 0.2],
]);
// chi-square critical values at significance 0.001: df 2 → 13.82, df 8 → 26.12
const N = 20_000;

describe("acceptDrafts (speculative sampling)", () => {
  it("first emitted token follows the target distribution for a stochastic draft", () => {
    const rng = createRng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const x = sample(q1, rng);
      const r = acceptDrafts([x], [q1], [p1, p2], rng);
      const first = r.accepted >= 1 ? x : r.next;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    expect(chiSquare(counts, p1, N)).toBeLessThan(13.82);
  });

  it("a point-mass (deterministic) draft is accepted with probability p(x) and the output still follows p", () => {
    const rng = createRng(11);
    const counts = new Map<number, number>();
    let accepted = 0;
    for (let i = 0; i < N; i++) {
      const r = acceptDrafts([3], [undefined], [p1, p2], rng);
      accepted += r.accepted;
      const first = r.accepted >= 1 ? 3 : r.next;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    expect(chiSquare(counts, p1, N)).toBeLessThan(13.82);
    expect(Math.abs(accepted / N - 0.2)).toBeLessThan(0.02);
  });

  it("two drafted positions: the joint of the first two emitted tokens equals p1 × p2", () => {
    const rng = createRng(13);
    const counts = new Map<number, number>();
    let n = 0;
    for (let i = 0; i < N; i++) {
      const x1 = sample(q1, rng);
      const x2 = sample(q2, rng);
      const r = acceptDrafts([x1, x2], [q1, q2], [p1, p2, p1], rng);
      let a: number, b: number;
      if (r.accepted === 0) {
        a = r.next; // the second token would come from a fresh step on p2
        b = sample(p2, rng);
      } else if (r.accepted === 1) [a, b] = [x1, r.next];
      else [a, b] = [x1, x2];
      counts.set(a * 10 + b, (counts.get(a * 10 + b) ?? 0) + 1);
      n++;
    }
    const joint: TokenDist = new Map();
    for (const [a, pa] of p1) for (const [b, pb] of p2) joint.set(a * 10 + b, pa * pb);
    expect(chiSquare(counts, joint, n)).toBeLessThan(26.12);
  });

  it("accepts every draft when p equals q on a deterministic target", () => {
    const one: TokenDist = new Map([[5, 1]]);
    const r = acceptDrafts([5, 5], [one, one], [one, one, new Map([[9, 1]])], createRng(1));
    expect(r).toEqual({ accepted: 2, next: 9 });
  });
});
