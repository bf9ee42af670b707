/** Sticky, deterministic and balanced experiment assignment. */
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../config/schema.js";
import { assignArm, assignExperiment, assignmentPoint } from "./assign.js";
import { chiSquare } from "./stats.js";

const config = ConfigSchema.parse({
  experiments: [
    { id: "off-exp", enabled: false, arms: [{ name: "x" }, { name: "y" }] },
    {
      id: "spec-k",
      arms: [
        { name: "control", weight: 1 },
        { name: "k4", weight: 1 },
        { name: "k8", weight: 2 },
      ],
    },
  ],
});
const exp = config.experiments[1]!;

describe("experiment assignment", () => {
  it("is sticky: the same user always gets the same arm", () => {
    for (let i = 0; i < 100; i++) expect(assignArm(exp, `user-${i}`)).toEqual(assignArm(exp, `user-${i}`));
    expect(assignmentPoint("spec-k", "u")).toBe(assignmentPoint("spec-k", "u"));
  });

  it("is balanced by weight over 10k users (chi-square, df 2, below the 0.001 critical value 13.816)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const a = assignArm(exp, `user-${i}`).arm;
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    const observed = ["control", "k4", "k8"].map((a) => counts.get(a) ?? 0);
    expect(chiSquare(observed, [2500, 2500, 5000])).toBeLessThan(13.816);
  });

  it("assigns independently per experiment id and skips disabled experiments", () => {
    let same = 0;
    for (let i = 0; i < 1000; i++)
      if (assignmentPoint("a", `u${i}`) < 0.5 === assignmentPoint("b", `u${i}`) < 0.5) same++;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
    expect(assignExperiment(config, "u1")?.experiment).toBe("spec-k");
    expect(assignExperiment(config, undefined)).toBeUndefined();
  });

  it("maps points into [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const p = assignmentPoint("e", String(i));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
    }
  });
});
