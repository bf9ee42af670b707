/**
 * The contract between the edge / request lifecycle and the feedback loop (feedback/).
 */
import type { FeedbackEvent } from "@ghostline/protocol";
import type { FimInput, StopReason, Usage } from "../core/types.js";

export type TelemetryLevel = "off" | "metrics" | "code";

/** Who sent events / requested a completion (tenant from auth, user id raw: the store hashes it). */
export interface FeedbackContext {
  tenant: string;
  user?: string;
  /** Level the client asked for; the effective level is min(server, tenant, client). */
  telemetry?: TelemetryLevel;
  /** Ceiling of the API key used (from auth); the config's tenant ceilings apply as well. */
  tenantTelemetry?: TelemetryLevel;
}

/** Recorded for every completion served. `fim` is stored only at level "code" (and scrubbed). */
export interface CompletionRecordInput {
  completionId: string;
  model: string;
  modelVersion: string;
  language?: string;
  source: string;
  arm?: { experiment: string; arm: string };
  text: string;
  stopReason: StopReason;
  usage: Usage;
  fim?: FimInput;
  createdAt: number;
}

/**
 * The feedback service. `ingest` resolves only after the events are durably committed (that is
 * when the edge acknowledges them). Both calls enforce the telemetry level server-side.
 */
export interface FeedbackService {
  recordCompletion(record: CompletionRecordInput, ctx: FeedbackContext): Promise<void>;
  ingest(events: FeedbackEvent[], ctx: FeedbackContext): Promise<{ accepted: number }>;
  close(): Promise<void>;
}
