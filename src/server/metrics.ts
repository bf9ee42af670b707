/**
 * Prometheus metrics of the edge (prefix ghostline_) on a prom-client registry shared with the
 * request manager and the feedback service. Registration is idempotent per registry.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from "prom-client";
import type { CompletionDone } from "../requests/types.js";

/** Handles used by the routes. */
export interface ServerMetrics {
  /** Time to first token (seconds) by route. */
  ttft: Histogram<"route">;
  /** End-to-end completion latency (seconds) by route. */
  e2e: Histogram<"route">;
  tokensGenerated: Counter<"route">;
  /** Prompt tokens by kind: evaluated | reused. */
  promptTokens: Counter<"kind">;
  /** Cancellations by reason: client_disconnect | superseded | deadline. */
  cancellations: Counter<"reason">;
  /** HTTP requests by route and status. */
  requests: Counter<"route" | "status">;
  /** Speculative tokens by source and outcome (proposed | accepted). */
  speculative: Counter<"source" | "outcome">;
  /** Records a finished completion. `cancelReason` when it ended cancelled. */
  observeDone(route: string, done: CompletionDone, timing: { ttftMs?: number; totalMs: number }, cancelReason?: string): void;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** Creates (or reuses) the edge metrics on `registry`; `stats` feeds the in-flight/queued gauges. */
export function createServerMetrics(registry: Registry, stats: () => { inFlight: number; queued: number }): ServerMetrics {
  const registers = [registry];
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  if (!registry.getSingleMetric("process_cpu_seconds_total")) collectDefaultMetrics({ register: registry });
  const ttft = get("ghostline_time_to_first_token_seconds", () =>
    new Histogram({ name: "ghostline_time_to_first_token_seconds", help: "Time from arrival to the first streamed text", labelNames: ["route"], buckets: BUCKETS, registers }),
  );
  const e2e = get("ghostline_completion_duration_seconds", () =>
    new Histogram({ name: "ghostline_completion_duration_seconds", help: "End-to-end completion latency", labelNames: ["route"], buckets: BUCKETS, registers }),
  );
  const tokensGenerated = get("ghostline_tokens_generated_total", () =>
    new Counter({ name: "ghostline_tokens_generated_total", help: "Completion tokens delivered", labelNames: ["route"], registers }),
  );
  const promptTokens = get("ghostline_prompt_tokens_total", () =>
    new Counter({ name: "ghostline_prompt_tokens_total", help: "Prompt tokens by kind (evaluated, reused)", labelNames: ["kind"], registers }),
  );
  const cancellations = get("ghostline_cancellations_total", () =>
    new Counter({ name: "ghostline_cancellations_total", help: "Cancelled completions by reason", labelNames: ["reason"], registers }),
  );
  const requests = get("ghostline_http_requests_total", () =>
    new Counter({ name: "ghostline_http_requests_total", help: "HTTP requests by route and status", labelNames: ["route", "status"], registers }),
  );
  const speculative = get("ghostline_speculative_tokens_total", () =>
    new Counter({ name: "ghostline_speculative_tokens_total", help: "Draft tokens proposed / accepted by source", labelNames: ["source", "outcome"], registers }),
  );
  if (!registry.getSingleMetric("ghostline_in_flight"))
    new Gauge({ name: "ghostline_in_flight", help: "Completions in flight", registers, collect() { this.set(stats().inFlight); } });
  if (!registry.getSingleMetric("ghostline_queued"))
    new Gauge({ name: "ghostline_queued", help: "Completions waiting for an engine sequence", registers, collect() { this.set(stats().queued); } });

  return {
    ttft,
    e2e,
    tokensGenerated,
    promptTokens,
    cancellations,
    requests,
    speculative,
    observeDone(route, done, timing, cancelReason) {
      if (timing.ttftMs !== undefined) ttft.observe({ route }, timing.ttftMs / 1000);
      e2e.observe({ route }, timing.totalMs / 1000);
      tokensGenerated.inc({ route }, done.usage.completionTokens);
      // a lookahead-served request ran its own generation (only its first token came early)
      const ownGeneration = !done.reused || done.reused === "lookahead";
      if (ownGeneration) {
        promptTokens.inc({ kind: "evaluated" }, done.usage.promptTokensEvaluated);
        promptTokens.inc({ kind: "reused" }, done.usage.promptTokensReused);
      }
      if (done.stopReason === "cancelled") cancellations.inc({ reason: cancelReason ?? "superseded" });
      if (done.stopReason === "deadline") cancellations.inc({ reason: "deadline" });
      const spec = done.usage.speculative;
      if (spec && ownGeneration) {
        for (const [source, n] of Object.entries(spec.proposed)) speculative.inc({ source, outcome: "proposed" }, n ?? 0);
        for (const [source, n] of Object.entries(spec.accepted)) speculative.inc({ source, outcome: "accepted" }, n ?? 0);
      }
    },
  };
}
