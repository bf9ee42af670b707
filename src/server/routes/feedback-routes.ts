/**
 * Feedback HTTP routes: `POST /v1/feedback` (ingest, acknowledged after a durable commit),
 * `GET /v1/feedback/metrics`, `DELETE /v1/feedback/users/:user`, `GET /v1/experiments/:id/report`
 * and `GET /dashboard`. Every call is scoped to the caller's tenant from `authenticate`.
 * Errors are thrown as GhostlineError; the server's error handler maps them to JSON.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { LIMITS } from "@ghostline/protocol";
import type { Config } from "../../config/schema.js";
import { GhostlineError } from "../../core/errors.js";
import { dashboardHtml } from "../../feedback/dashboard.js";
import { parseLevel } from "../../feedback/privacy.js";
import type { FeedbackServiceImpl } from "../../feedback/service.js";
import type { FeedbackService, TelemetryLevel } from "../../feedback/types.js";

/** Who is calling (from the server's auth). `telemetry`: the API key's ceiling, if any. */
export interface FeedbackAuth {
  tenant: string;
  user?: string;
  telemetry?: TelemetryLevel;
}

/** Dependencies of the feedback routes. */
export interface FeedbackRouteDeps {
  /** `feedback` from createFeedbackService; a bare FeedbackService serves ingestion only. */
  services: {
    config: Config;
    feedback: FeedbackService | FeedbackServiceImpl;
    /** When given, accepted suggestions prefetch the next completion (as on the WebSocket). */
    manager?: { onAccepted?(completionId: string, acceptedChars?: number): void };
  };
  authenticate: (req: FastifyRequest) => FeedbackAuth | Promise<FeedbackAuth>;
}

function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new GhostlineError("invalid_request", `${field}: must be a number`, { details: { field } });
  return n;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 && v.length <= 200 ? v : undefined;
}

/** Registers feedback ingestion, metrics JSON, erase-user, experiment report and dashboard routes. */
export async function registerFeedbackRoutes(app: FastifyInstance, deps: FeedbackRouteDeps): Promise<void> {
  const { feedback } = deps.services;
  const full = (): FeedbackServiceImpl => {
    if (!("metrics" in feedback))
      throw new GhostlineError("not_found", "this feedback service has no metrics, reports or erasure");
    return feedback;
  };

  app.post("/v1/feedback", async (req) => {
    const auth = await deps.authenticate(req);
    const body = req.body as { events?: unknown; user?: unknown; telemetry?: unknown } | null;
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new GhostlineError("invalid_request", "body: expected an object {events: [...]}", {
        details: { field: "body" },
      });
    if (!Array.isArray(body.events))
      throw new GhostlineError("invalid_request", "events: expected an array", {
        details: { field: "events" },
      });
    if (body.events.length > LIMITS.feedbackBatch)
      throw new GhostlineError(
        "invalid_request",
        `events: at most ${LIMITS.feedbackBatch} events per request`,
        { details: { field: "events" } },
      );
    const header = req.headers["x-ghostline-telemetry"];
    const clientLevel = parseLevel(
      typeof body.telemetry === "string" ? body.telemetry : typeof header === "string" ? header : undefined,
    );
    const user =
      auth.user ?? (typeof body.user === "string" && body.user.length <= 200 ? body.user : undefined);
    const r = await feedback.ingest(body.events as never, {
      tenant: auth.tenant,
      ...(user !== undefined ? { user } : {}),
      ...(clientLevel ? { telemetry: clientLevel } : {}),
      ...(auth.telemetry ? { tenantTelemetry: auth.telemetry } : {}),
    });
    for (const ev of body.events as { type?: unknown; completion_id?: unknown; accepted_chars?: unknown }[]) {
      if (typeof ev.completion_id !== "string") continue;
      if (ev.type === "accepted") deps.services.manager?.onAccepted?.(ev.completion_id);
      else if (ev.type === "partially_accepted" && typeof ev.accepted_chars === "number")
        deps.services.manager?.onAccepted?.(ev.completion_id, ev.accepted_chars);
    }
    return { accepted: r.accepted };
  });

  app.get("/v1/feedback/metrics", async (req) => {
    const auth = await deps.authenticate(req);
    const q = req.query as Record<string, unknown>;
    return full().metrics({
      tenant: auth.tenant,
      since: num(q.since, "since"),
      until: num(q.until, "until"),
      model: str(q.model),
      language: str(q.language),
      experiment: str(q.experiment),
      arm: str(q.arm),
      bucketMs: num(q.bucket_ms, "bucket_ms"),
    });
  });

  app.delete("/v1/feedback/users/:user", async (req) => {
    const auth = await deps.authenticate(req);
    const { user } = req.params as { user: string };
    if (!user || user.length > 200)
      throw new GhostlineError("invalid_request", "user: 1..200 characters", { details: { field: "user" } });
    if (auth.user !== undefined && auth.user !== user)
      throw new GhostlineError("forbidden", "this API key is bound to another user");
    return { erased: await full().eraseUser(auth.tenant, user) };
  });

  app.get("/v1/experiments/:id/report", async (req) => {
    const auth = await deps.authenticate(req);
    const { id } = req.params as { id: string };
    if (!deps.services.config.experiments.some((e) => e.id === id))
      throw new GhostlineError("not_found", `no experiment "${id}" is configured`);
    const q = req.query as Record<string, unknown>;
    return full().experimentReport(auth.tenant, id, {
      since: num(q.since, "since"),
      until: num(q.until, "until"),
    });
  });

  app.get("/dashboard", async (_req, reply) => {
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(dashboardHtml());
  });
}
