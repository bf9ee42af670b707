/**
 * Versioned schemas (zod) of what the feedback store keeps. Wire events arrive as `FeedbackEvent`
 * from @ghostline/protocol; `toStoredEvent` turns one into a `StoredEventV1` after the telemetry level
 * has been applied (code-bearing fields only at level "code"). Bump `SCHEMA_VERSION` and add a new
 * schema (keeping the old one readable) whenever a stored shape changes.
 */
import { z } from "zod";
import { FeedbackEvent, LIMITS } from "@ghostline/protocol";
import { GhostlineError } from "../core/errors.js";

/** Current version of every stored row shape. */
export const SCHEMA_VERSION = 1;

/** Similarity (0..1) at or above which a retention check counts as "still present". */
export const STILL_PRESENT_SIMILARITY = 0.5;

/** Speculative-decoding statistics as stored (subset of core SpeculativeStats). */
export const StoredSpeculative = z.object({
  targetPasses: z.number().int().min(0),
  tokensPerPass: z.number().min(0),
  proposed: z.record(z.string(), z.number().min(0)),
  accepted: z.record(z.string(), z.number().min(0)),
});

/** A completion record (v1). `text` and `fim` are present only at level "code" (scrubbed). */
export const StoredCompletionV1 = z.object({
  v: z.literal(1),
  completionId: z.string().min(1).max(LIMITS.idChars),
  tenant: z.string().min(1).max(100),
  userHash: z.string().max(64).nullable(),
  level: z.enum(["metrics", "code"]),
  createdAt: z.number().int(),
  model: z.string().max(200),
  modelVersion: z.string().max(200),
  language: z.string().max(64).nullable(),
  source: z.string().max(64),
  experiment: z.string().max(64).nullable(),
  arm: z.string().max(64).nullable(),
  stopReason: z.string().max(32),
  textChars: z.number().int().min(0),
  latencyMs: z.number().min(0),
  firstTokenMs: z.number().min(0),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  speculative: StoredSpeculative.nullable(),
  text: z.string().nullable(),
  fim: z.object({ prefix: z.string(), suffix: z.string(), filepath: z.string().optional() }).nullable(),
});
export type StoredCompletion = z.infer<typeof StoredCompletionV1>;

/** Event payload per type (v1). Everything numeric; `keptText` only at level "code". */
export const StoredEventV1 = z.discriminatedUnion("type", [
  z.object({ type: z.literal("shown"), visibleMs: z.number().min(0).nullable() }),
  z.object({
    type: z.literal("accepted"),
    acceptedChars: z.number().int().min(0).nullable(),
    unit: z.enum(["all", "word", "line", "char"]),
    keptText: z.string().nullable(),
  }),
  z.object({
    type: z.literal("partially_accepted"),
    acceptedChars: z.number().int().min(0),
    unit: z.enum(["all", "word", "line", "char"]),
    keptText: z.string().nullable(),
  }),
  /** keptText: what the user wrote instead of the dismissed suggestion (level "code" only). */
  z.object({
    type: z.literal("dismissed"),
    visibleMs: z.number().min(0).nullable(),
    keptText: z.string().nullable().default(null),
  }),
  z.object({
    type: z.literal("retention"),
    intervalS: z.number().int().min(0),
    similarity: z.number().min(0).max(1),
    stillPresent: z.boolean(),
    keptText: z.string().nullable(),
  }),
]);
export type StoredEventPayload = z.infer<typeof StoredEventV1>;

/** One stored event row. */
export interface StoredEvent {
  id: string;
  v: number;
  tenant: string;
  userHash: string | null;
  completionId: string;
  type: StoredEventPayload["type"];
  /** Server receive time (epoch ms); retention is computed from it. */
  receivedAt: number;
  clientTs: number | null;
  payload: StoredEventPayload;
}

/**
 * Validates wire events, adding the per-type requirements the wire schema leaves optional.
 * Throws GhostlineError("invalid_request") naming the field path (e.g. `events.3.accepted_chars`).
 */
export function parseWireEvents(input: unknown): FeedbackEvent[] {
  const batch = z.array(FeedbackEvent.superRefine(refineByType)).max(LIMITS.feedbackBatch);
  const r = batch.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = ["events", ...issue.path].join(".");
    throw new GhostlineError("invalid_request", `${path}: ${issue.message}`, {
      details: {
        field: path,
        issues: r.error.issues
          .slice(0, 10)
          .map((i) => ({ path: ["events", ...i.path].join("."), message: i.message })),
      },
    });
  }
  return r.data;
}

function refineByType(e: FeedbackEvent, ctx: z.RefinementCtx): void {
  if (e.type === "partially_accepted" && e.accepted_chars === undefined)
    ctx.addIssue({
      code: "custom",
      path: ["accepted_chars"],
      message: "required for partially_accepted (characters accepted)",
    });
  if (e.type === "retention") {
    if (e.interval_s === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["interval_s"],
        message: "required for retention (seconds after accept)",
      });
    if (e.similarity === undefined)
      ctx.addIssue({ code: "custom", path: ["similarity"], message: "required for retention (0..1)" });
  }
  if (e.completion_id.length === 0)
    ctx.addIssue({ code: "custom", path: ["completion_id"], message: "must not be empty" });
}

/** Builds the stored payload of a validated wire event; `keep` decides whether code may be kept. */
export function toStoredPayload(
  e: FeedbackEvent,
  keepCode: boolean,
  scrub: (s: string) => string,
): StoredEventPayload {
  const kept = keepCode && e.kept_text !== undefined ? scrub(e.kept_text) : null;
  switch (e.type) {
    case "shown":
      return { type: "shown", visibleMs: e.visible_ms ?? null };
    case "dismissed":
      return { type: "dismissed", visibleMs: e.visible_ms ?? null, keptText: kept };
    case "accepted":
      return {
        type: "accepted",
        acceptedChars: e.accepted_chars ?? null,
        unit: e.unit ?? "all",
        keptText: kept,
      };
    case "partially_accepted":
      return {
        type: "partially_accepted",
        acceptedChars: e.accepted_chars ?? 0,
        unit: e.unit ?? "char",
        keptText: kept,
      };
    case "retention": {
      const similarity = e.similarity ?? 0;
      return {
        type: "retention",
        intervalS: e.interval_s ?? 0,
        similarity,
        stillPresent: similarity >= STILL_PRESENT_SIMILARITY,
        keptText: kept,
      };
    }
  }
}

/** Parses a stored payload (JSON) of the given version; unknown versions are a storage error. */
export function parseStoredPayload(v: number, json: unknown): StoredEventPayload {
  if (v !== 1) throw new GhostlineError("storage_error", `unknown event schema version ${v}`);
  return StoredEventV1.parse(json);
}
