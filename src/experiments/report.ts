/**
 * Per-arm experiment report: acceptance and 5-minute retention with Wilson intervals and a
 * two-proportion z-test against the control (the first arm), latency percentiles with seeded
 * bootstrap intervals, and a fixed-horizon stopping rule from a sample-size estimate.
 */
import { outcomes, type CompletionOutcome } from "../feedback/metrics.js";
import type { FeedbackStore } from "../feedback/store.js";
import {
  bootstrapQuantileCIs,
  percentile,
  sampleSizePerArm,
  twoProportionZ,
  wilson,
  type ProportionCI,
  type TwoProportionTest,
} from "./stats.js";

/** Retention point used in reports (seconds). */
export const REPORT_RETENTION_S = 300;

/** Options of a report. */
export interface ReportOptions {
  /** Arms in order; the first is the control. Default: arms found in the data, sorted. */
  arms?: string[];
  /** Minimum detectable absolute difference in acceptance for the stopping rule (default 0.02). */
  mde?: number;
  alpha?: number;
  power?: number;
  /** Bootstrap seed and resamples (default 1 and 1,000). */
  seed?: number;
  iterations?: number;
  since?: number;
  until?: number;
}

/** One arm's figures. */
export interface ArmReport {
  arm: string;
  completions: number;
  acceptance: ProportionCI;
  retention: ProportionCI;
  latencyMs: {
    n: number;
    p50: { estimate: number; low: number; high: number };
    p90: { estimate: number; low: number; high: number };
    p99: number;
  };
  /** vs control; absent for the control itself. */
  vsControl?: { acceptance: TwoProportionTest; retention: TwoProportionTest };
}

/** The experiment report. */
export interface ExperimentReport {
  experiment: string;
  tenant: string;
  control: string | null;
  arms: ArmReport[];
  stopping: {
    mde: number;
    alpha: number;
    power: number;
    /** Per-arm shown completions needed to detect `mde` from the control's acceptance rate. */
    requiredPerArm: number;
    minArmShown: number;
    /** "collecting" until every arm reaches requiredPerArm; then "significant" or "no_difference". */
    status: "collecting" | "significant" | "no_difference";
  };
}

/**
 * Computes the report from outcomes (pure; used by `experimentReport` and tests). Async only to give
 * way to other work on the event loop during the latency bootstraps.
 */
export async function reportFromOutcomes(
  experiment: string,
  tenant: string,
  outs: CompletionOutcome[],
  opts: ReportOptions = {},
): Promise<ExperimentReport> {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  const mde = opts.mde ?? 0.02;
  const mine = outs.filter((o) => o.c.experiment === experiment && o.c.arm !== null);
  const armNames = opts.arms ?? [...new Set(mine.map((o) => o.c.arm!))].sort();
  const reports: ArmReport[] = [];
  for (const arm of armNames) {
    const os = mine.filter((o) => o.c.arm === arm);
    const shown = os.filter((o) => o.shown);
    const acc = shown.filter((o) => o.accepted || o.partial);
    const checked = acc.filter((o) => o.retention.has(REPORT_RETENTION_S));
    const kept = checked.filter((o) => o.retention.get(REPORT_RETENTION_S)!.stillPresent);
    const lat = os.map((o) => o.c.latencyMs);
    const sorted = [...lat].sort((a, b) => a - b);
    const [p50, p90] = await bootstrapQuantileCIs(lat, [0.5, 0.9], { seed: opts.seed ?? 1, iterations: opts.iterations ?? 1000 });
    reports.push({
      arm,
      completions: os.length,
      acceptance: wilson(acc.length, shown.length),
      retention: wilson(kept.length, checked.length),
      latencyMs: {
        n: lat.length,
        p50: p50!,
        p90: p90!,
        p99: sorted.length ? percentile(sorted, 0.99) : NaN,
      },
    });
  }
  const control = reports[0];
  if (control)
    for (const r of reports.slice(1))
      r.vsControl = {
        acceptance: twoProportionZ(
          control.acceptance.successes,
          control.acceptance.n,
          r.acceptance.successes,
          r.acceptance.n,
        ),
        retention: twoProportionZ(
          control.retention.successes,
          control.retention.n,
          r.retention.successes,
          r.retention.n,
        ),
      };
  const p0 = control?.acceptance.p ?? 0;
  const target = p0 + mde <= 1 ? p0 + mde : p0 - mde;
  const requiredPerArm = sampleSizePerArm(p0, target, alpha, power);
  const minArmShown = reports.length ? Math.min(...reports.map((r) => r.acceptance.n)) : 0;
  const anySignificant = reports.some(
    (r) => r.vsControl !== undefined && r.vsControl.acceptance.pValue < alpha,
  );
  return {
    experiment,
    tenant,
    control: control?.arm ?? null,
    arms: reports,
    stopping: {
      mde,
      alpha,
      power,
      requiredPerArm,
      minArmShown,
      status:
        reports.length < 2 || minArmShown < requiredPerArm
          ? "collecting"
          : anySignificant
            ? "significant"
            : "no_difference",
    },
  };
}

/** Loads the experiment's completions and events of `tenant` from the store and reports on them. */
export async function experimentReport(
  store: FeedbackStore,
  tenant: string,
  experiment: string,
  opts: ReportOptions = {},
): Promise<ExperimentReport> {
  const q = { experiment, since: opts.since, until: opts.until };
  const [completions, events] = await Promise.all([store.completions(tenant, { ...q, omitCode: true }), store.events(tenant, q)]);
  return reportFromOutcomes(experiment, tenant, outcomes(completions, events), opts);
}
