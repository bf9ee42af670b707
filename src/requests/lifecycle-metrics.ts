/**
 * Prometheus metrics of the request lifecycle (prefix ghostline_lifecycle_). Registration is
 * idempotent per registry (a second manager on the same registry reuses the metrics).
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** The lifecycle's metric handles. */
export interface LifecycleMetrics {
  requests: Counter<"outcome">;
  shed: Counter;
  wastedTokens: Counter;
  /** Detaches the gauge source of this manager. */
  dispose(): void;
}

type StatsFn = () => { inFlight: number; queued: number; cacheEntries: number };

const sources = new WeakMap<Registry, Set<StatsFn>>();

function sum(reg: Registry, pick: (s: ReturnType<StatsFn>) => number): number {
  let n = 0;
  for (const fn of sources.get(reg) ?? []) n += pick(fn());
  return n;
}

/** Registers (or reuses) the lifecycle metrics on `registry`; `stats` feeds the gauges. */
export function createLifecycleMetrics(registry: Registry, stats: StatsFn): LifecycleMetrics {
  let set = sources.get(registry);
  if (!set) {
    set = new Set();
    sources.set(registry, set);
  }
  set.add(stats);
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const requests = get(
    "ghostline_lifecycle_completions_total",
    () => new Counter({ name: "ghostline_lifecycle_completions_total", help: "Completions served by outcome (stop reason, or typing-through / cache / lookahead reuse)", labelNames: ["outcome"], registers: [registry] }),
  );
  const shed = get("ghostline_lifecycle_shed_total", () => new Counter({ name: "ghostline_lifecycle_shed_total", help: "Requests shed by admission control (overloaded)", registers: [registry] }));
  const wastedTokens = get(
    "ghostline_lifecycle_wasted_tokens_total",
    () => new Counter({ name: "ghostline_lifecycle_wasted_tokens_total", help: "Tokens generated for requests that were superseded or cancelled, and by unused lookahead probes", registers: [registry] }),
  );
  const gauge = (name: string, help: string, pick: (s: ReturnType<StatsFn>) => number): void => {
    if (registry.getSingleMetric(name)) return;
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(sum(registry, pick));
      },
    });
  };
  gauge("ghostline_lifecycle_in_flight", "Completion streams in flight", (s) => s.inFlight);
  gauge("ghostline_lifecycle_queued", "Generations waiting for an engine sequence", (s) => s.queued);
  gauge("ghostline_lifecycle_cache_entries", "Entries in the completion cache", (s) => s.cacheEntries);
  return { requests, shed, wastedTokens, dispose: () => set.delete(stats) };
}
