/**
 * Deterministic, sticky experiment assignment: a user's arm is a pure function of
 * (experiment id, user key), so every server process agrees without shared state.
 * u = first 52 bits of SHA-256(id ":" key) / 2^52, mapped onto the arms' cumulative weights.
 */
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";

/** One experiment as configured. */
export type ExperimentConfig = Config["experiments"][number];

/** An assignment: which arm of which experiment. */
export interface ArmAssignment {
  experiment: string;
  arm: string;
}

/** Uniform number in [0, 1) derived from the experiment id and the user key. */
export function assignmentPoint(experimentId: string, userKey: string): number {
  const h = createHash("sha256").update(`${experimentId}:${userKey}`).digest();
  // 52 bits: 4 bytes (32) + 20 bits of the next 3 bytes
  const hi = h.readUInt32BE(0);
  const lo = h.readUInt32BE(4) >>> 12;
  return (hi * 2 ** 20 + lo) / 2 ** 52;
}

/** The arm of `userKey` in `experiment` (weights need not sum to 1). */
export function assignArm(experiment: ExperimentConfig, userKey: string): ArmAssignment {
  const total = experiment.arms.reduce((s, a) => s + a.weight, 0);
  const u = assignmentPoint(experiment.id, userKey) * total;
  let acc = 0;
  for (const arm of experiment.arms) {
    acc += arm.weight;
    if (u < acc) return { experiment: experiment.id, arm: arm.name };
  }
  return { experiment: experiment.id, arm: experiment.arms[experiment.arms.length - 1]!.name };
}

/**
 * The assignment for a request: the first enabled experiment (one experiment per request keeps
 * arms comparable). `userKey` should be the hashed user id (or a stable client/session id).
 */
export function assignExperiment(config: Config, userKey: string | undefined): ArmAssignment | undefined {
  if (!userKey) return undefined;
  const exp = config.experiments.find((e) => e.enabled);
  return exp ? assignArm(exp, userKey) : undefined;
}
