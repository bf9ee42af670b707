/**
 * Feedback metrics: joins completion records with their events into per-completion outcomes and
 * aggregates them into slices (overall, by model, language, experiment arm), a timeline, a
 * retention curve and a latency histogram. Shared by the JSON endpoint, the dashboard and
 * experiment reports.
 */
import { percentile } from "../experiments/stats.js";
import type { StoredCompletion, StoredEvent } from "./schemas.js";

/** Retention check points (seconds after accept). An event counts at the largest point ≤ its interval. */
export const RETENTION_INTERVALS_S = [30, 120, 300, 600] as const;

/** Latency histogram bucket upper bounds (ms). */
export const LATENCY_BOUNDS_MS = [25, 50, 100, 200, 400, 800, 1600, 3200] as const;

/** What happened to one completion. */
export interface CompletionOutcome {
  c: StoredCompletion;
  shown: boolean;
  accepted: boolean;
  partial: boolean;
  dismissed: boolean;
  acceptedChars: number;
  /** Latest retention check per interval point. */
  retention: Map<number, { similarity: number; stillPresent: boolean }>;
}

/** Retention at one interval: of the accepted completions checked there, how many kept the text. */
export interface RetentionPoint {
  intervalS: number;
  n: number;
  stillPresent: number;
  rate: number;
  meanSimilarity: number;
}

/** Aggregates of one slice. Rates are 0 when their denominator is 0. */
export interface SliceStats {
  completions: number;
  shown: number;
  /** Fully accepted. */
  accepted: number;
  partiallyAccepted: number;
  dismissed: number;
  /** (accepted + partially accepted) / shown. */
  acceptanceRate: number;
  fullAcceptanceRate: number;
  partialRate: number;
  shownChars: number;
  acceptedChars: number;
  /** acceptedChars / shownChars. */
  charAcceptanceRate: number;
  retention: RetentionPoint[];
  latencyMs: { n: number; p50: number; p90: number; p99: number; mean: number };
}

/** The JSON metrics report of one tenant. */
export interface MetricsReport {
  tenant: string;
  from: number | null;
  to: number | null;
  generatedAt: number;
  overall: SliceStats;
  byModel: Record<string, SliceStats>;
  byLanguage: Record<string, SliceStats>;
  /** Keyed "experiment/arm". */
  byArm: Record<string, SliceStats>;
  timeline: { t: number; shown: number; accepted: number; acceptanceRate: number }[];
  latencyHistogram: { boundsMs: number[]; counts: number[] };
  experiments: string[];
}

/** Joins completions with their events. */
export function outcomes(completions: StoredCompletion[], events: StoredEvent[]): CompletionOutcome[] {
  const byId = new Map<string, CompletionOutcome>();
  for (const c of completions)
    byId.set(c.completionId, {
      c,
      shown: false,
      accepted: false,
      partial: false,
      dismissed: false,
      acceptedChars: 0,
      retention: new Map(),
    });
  for (const e of events) {
    const o = byId.get(e.completionId);
    if (!o) continue;
    const p = e.payload;
    switch (p.type) {
      case "shown":
        o.shown = true;
        break;
      case "dismissed":
        o.shown = o.dismissed = true;
        break;
      case "accepted":
        o.shown = o.accepted = true;
        o.acceptedChars = Math.max(
          o.acceptedChars,
          Math.min(p.acceptedChars ?? o.c.textChars, o.c.textChars || Infinity),
        );
        break;
      case "partially_accepted":
        o.shown = o.partial = true;
        o.acceptedChars = Math.max(o.acceptedChars, Math.min(p.acceptedChars, o.c.textChars || Infinity));
        break;
      case "retention": {
        const point = [...RETENTION_INTERVALS_S].reverse().find((s) => p.intervalS >= s);
        if (point !== undefined)
          o.retention.set(point, { similarity: p.similarity, stillPresent: p.stillPresent });
        break;
      }
    }
  }
  for (const o of byId.values()) if (o.accepted) o.partial = false;
  return [...byId.values()];
}

const rate = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Aggregates a set of outcomes. */
export function sliceStats(outs: CompletionOutcome[]): SliceStats {
  let shown = 0,
    accepted = 0,
    partial = 0,
    dismissed = 0,
    shownChars = 0,
    acceptedChars = 0;
  for (const o of outs) {
    if (!o.shown) continue;
    shown++;
    shownChars += o.c.textChars;
    acceptedChars += o.acceptedChars;
    if (o.accepted) accepted++;
    else if (o.partial) partial++;
    else if (o.dismissed) dismissed++;
  }
  const retention = RETENTION_INTERVALS_S.map((s) => {
    const pts = outs
      .filter((o) => (o.accepted || o.partial) && o.retention.has(s))
      .map((o) => o.retention.get(s)!);
    const still = pts.filter((p) => p.stillPresent).length;
    const meanSimilarity = pts.length ? pts.reduce((a, p) => a + p.similarity, 0) / pts.length : 0;
    return {
      intervalS: s,
      n: pts.length,
      stillPresent: still,
      rate: rate(still, pts.length),
      meanSimilarity,
    };
  });
  const lat = outs.map((o) => o.c.latencyMs).sort((a, b) => a - b);
  return {
    completions: outs.length,
    shown,
    accepted,
    partiallyAccepted: partial,
    dismissed,
    acceptanceRate: rate(accepted + partial, shown),
    fullAcceptanceRate: rate(accepted, shown),
    partialRate: rate(partial, shown),
    shownChars,
    acceptedChars,
    charAcceptanceRate: rate(acceptedChars, shownChars),
    retention,
    latencyMs: {
      n: lat.length,
      p50: lat.length ? percentile(lat, 0.5) : 0,
      p90: lat.length ? percentile(lat, 0.9) : 0,
      p99: lat.length ? percentile(lat, 0.99) : 0,
      mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0,
    },
  };
}

function groupBy(
  outs: CompletionOutcome[],
  key: (o: CompletionOutcome) => string | null,
): Record<string, SliceStats> {
  const groups = new Map<string, CompletionOutcome[]>();
  for (const o of outs) {
    const k = key(o);
    if (k === null) continue;
    const g = groups.get(k);
    if (g) g.push(o); // (copying the group at every outcome made a report quadratic: 118 s for 50,000)
    else groups.set(k, [o]);
  }
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sliceStats(v)]),
  );
}

/** Builds the full report. `bucketMs`: timeline bucket (default: one hour). */
export function buildReport(
  tenant: string,
  outs: CompletionOutcome[],
  opts: { from?: number; to?: number; bucketMs?: number; experiments?: string[]; now?: number } = {},
): MetricsReport {
  const bucketMs = opts.bucketMs ?? 3_600_000;
  const timeline = new Map<number, { shown: number; accepted: number }>();
  for (const o of outs) {
    if (!o.shown) continue;
    const t = Math.floor(o.c.createdAt / bucketMs) * bucketMs;
    const b = timeline.get(t) ?? { shown: 0, accepted: 0 };
    b.shown++;
    if (o.accepted || o.partial) b.accepted++;
    timeline.set(t, b);
  }
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const o of outs) {
    const i = LATENCY_BOUNDS_MS.findIndex((b) => o.c.latencyMs <= b);
    counts[i === -1 ? LATENCY_BOUNDS_MS.length : i]!++;
  }
  return {
    tenant,
    from: opts.from ?? null,
    to: opts.to ?? null,
    generatedAt: opts.now ?? Date.now(),
    overall: sliceStats(outs),
    byModel: groupBy(outs, (o) => `${o.c.model}@${o.c.modelVersion}`),
    byLanguage: groupBy(outs, (o) => o.c.language ?? "unknown"),
    byArm: groupBy(outs, (o) => (o.c.experiment && o.c.arm ? `${o.c.experiment}/${o.c.arm}` : null)),
    timeline: [...timeline]
      .sort(([a], [b]) => a - b)
      .map(([t, b]) => ({
        t,
        shown: b.shown,
        accepted: b.accepted,
        acceptanceRate: rate(b.accepted, b.shown),
      })),
    latencyHistogram: { boundsMs: [...LATENCY_BOUNDS_MS], counts },
    experiments: opts.experiments ?? [],
  };
}
