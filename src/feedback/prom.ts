/**
 * Prometheus export of the feedback loop on a caller-provided prom-client registry. Counters are
 * process-lifetime (rates are computed in PromQL); the acceptance-rate gauge is a convenience
 * computed from the same counts. Labels: model, language, arm ("experiment/arm" or "none").
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { StoredCompletion, StoredEvent } from "./schemas.js";
import { RETENTION_INTERVALS_S } from "./metrics.js";

const LABELS = ["model", "language", "arm"] as const;
type Labels = Record<(typeof LABELS)[number], string>;

function getOr<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Label values of a completion (language sanitised to keep cardinality bounded). */
export function labelsOf(
  c: Pick<StoredCompletion, "model" | "language" | "experiment" | "arm"> | undefined,
): Labels {
  if (!c) return { model: "unknown", language: "unknown", arm: "none" };
  const language =
    (c.language ?? "unknown")
      .toLowerCase()
      .replace(/[^a-z0-9+#.-]/g, "")
      .slice(0, 32) || "unknown";
  return {
    model: c.model.slice(0, 100),
    language,
    arm: c.experiment && c.arm ? `${c.experiment}/${c.arm}` : "none",
  };
}

/** The feedback metrics on one registry. */
export class FeedbackProm {
  private readonly events: Counter<string>;
  private readonly completions: Counter<string>;
  private readonly shownChars: Counter<string>;
  private readonly acceptedChars: Counter<string>;
  private readonly retention: Counter<string>;
  private readonly latency: Histogram<string>;
  private readonly rate: Gauge<string>;
  private readonly counts = new Map<string, { labels: Labels; shown: number; accepted: number }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = getOr(
      registry,
      "ghostline_feedback_events_total",
      () =>
        new Counter({
          name: "ghostline_feedback_events_total",
          help: "Feedback events stored, by type",
          labelNames: ["type", ...LABELS],
          registers,
        }),
    );
    this.completions = getOr(
      registry,
      "ghostline_feedback_completions_total",
      () =>
        new Counter({
          name: "ghostline_feedback_completions_total",
          help: "Completion records stored",
          labelNames: [...LABELS],
          registers,
        }),
    );
    this.shownChars = getOr(
      registry,
      "ghostline_feedback_shown_chars_total",
      () =>
        new Counter({
          name: "ghostline_feedback_shown_chars_total",
          help: "Characters of suggestions shown",
          labelNames: [...LABELS],
          registers,
        }),
    );
    this.acceptedChars = getOr(
      registry,
      "ghostline_feedback_accepted_chars_total",
      () =>
        new Counter({
          name: "ghostline_feedback_accepted_chars_total",
          help: "Characters of suggestions accepted",
          labelNames: [...LABELS],
          registers,
        }),
    );
    this.retention = getOr(
      registry,
      "ghostline_feedback_retention_checks_total",
      () =>
        new Counter({
          name: "ghostline_feedback_retention_checks_total",
          help: "Retention checks after accept, by interval (s) and whether the text was still present",
          labelNames: ["interval", "still_present", ...LABELS],
          registers,
        }),
    );
    this.latency = getOr(
      registry,
      "ghostline_feedback_completion_latency_seconds",
      () =>
        new Histogram({
          name: "ghostline_feedback_completion_latency_seconds",
          help: "Completion latency (total) of recorded completions",
          labelNames: [...LABELS],
          buckets: [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2],
          registers,
        }),
    );
    this.rate = getOr(
      registry,
      "ghostline_feedback_acceptance_rate",
      () =>
        new Gauge({
          name: "ghostline_feedback_acceptance_rate",
          help: "Accepted / shown since process start",
          labelNames: [...LABELS],
          registers,
        }),
    );
  }

  /** Counts a stored completion record. */
  completion(c: StoredCompletion): void {
    const l = labelsOf(c);
    this.completions.inc(l);
    this.latency.observe(l, c.latencyMs / 1000);
  }

  /** Counts stored events; `byId` gives each event's completion (undefined if unknown). */
  stored(events: StoredEvent[], byId: Map<string, StoredCompletion>): void {
    for (const e of events) {
      const c = byId.get(e.completionId);
      const l = labelsOf(c);
      this.events.inc({ type: e.type, ...l });
      const key = JSON.stringify(l);
      const agg = this.counts.get(key) ?? { labels: l, shown: 0, accepted: 0 };
      this.counts.set(key, agg);
      const p = e.payload;
      if (p.type === "shown") {
        agg.shown++;
        if (c) this.shownChars.inc(l, c.textChars);
      } else if (p.type === "accepted" || p.type === "partially_accepted") {
        agg.accepted++;
        const chars = p.acceptedChars ?? c?.textChars ?? 0;
        if (chars > 0) this.acceptedChars.inc(l, chars);
      } else if (p.type === "retention") {
        const point = [...RETENTION_INTERVALS_S].reverse().find((s) => p.intervalS >= s);
        if (point !== undefined)
          this.retention.inc({ interval: String(point), still_present: String(p.stillPresent), ...l });
      }
      if (agg.shown > 0) this.rate.set(l, Math.min(1, agg.accepted / agg.shown));
    }
  }
}
