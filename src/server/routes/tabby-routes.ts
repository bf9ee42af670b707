/**
 * Tabby server API as tabby-agent (1.5) uses it: `GET|POST /v1/health`, `GET /v1beta/server_setting`,
 * completions (`POST /v1/completions` with `segments`, dispatched here from openai-routes.ts) and
 * `POST /v1/events` (view → shown, select → accepted or, with select_kind "line", partially_accepted
 * by line, dismiss → dismissed), acknowledged only after the feedback service committed them.
 */
import { arch, cpus } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LIMITS, type FeedbackEvent } from "@ghostline/protocol";
import type { ExtraContext } from "../../core/types.js";
import { parseBody } from "../errors.js";
import { buildCompletionRequest, collect, disconnectSignal, startCompletion, type EdgeContext } from "../completion-stream.js";

const Snippet = z.object({ filepath: z.string().max(LIMITS.uriChars).default(""), body: z.string().max(LIMITS.extraChars), score: z.number().optional() });

/** Tabby's completion request. */
export const TabbyCompletionBody = z.object({
  language: z.string().max(64).nullish(),
  segments: z.object({
    prefix: z.string().max(LIMITS.prefixChars).default(""),
    suffix: z.string().max(LIMITS.suffixChars).nullish(),
    filepath: z.string().max(LIMITS.uriChars).nullish(),
    git_url: z.string().max(LIMITS.uriChars).nullish(),
    declarations: z.array(Snippet).max(256).nullish(),
    relevant_snippets_from_changed_files: z.array(Snippet).max(256).nullish(),
    relevant_snippets_from_recently_opened_files: z.array(Snippet).max(256).nullish(),
    clipboard: z.string().max(LIMITS.extraChars).nullish(),
  }),
  user: z.string().max(200).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  seed: z.number().int().nullish(),
  mode: z.string().max(32).nullish(),
});

/** Tabby's event request. */
export const TabbyEventBody = z.object({
  type: z.enum(["view", "select", "dismiss"]),
  completion_id: z.string().min(1).max(LIMITS.idChars),
  choice_index: z.number().int().min(0).max(64).default(0),
  view_id: z.string().max(LIMITS.idChars).nullish(),
  elapsed: z.number().min(0).nullish(),
  select_kind: z.enum(["line"]).nullish(),
  timestamp: z.number().int().nullish(),
});

/** Maps a Tabby event to Ghostline's FeedbackEvent. */
export function tabbyToFeedback(ev: z.infer<typeof TabbyEventBody>, selectKind: string | undefined): FeedbackEvent {
  const base = { completion_id: ev.completion_id, ...(ev.timestamp != null ? { ts: ev.timestamp } : {}) };
  if (ev.type === "view") return { ...base, type: "shown", ...(ev.elapsed != null ? { visible_ms: ev.elapsed } : {}) };
  if (ev.type === "dismiss") return { ...base, type: "dismissed", ...(ev.elapsed != null ? { visible_ms: ev.elapsed } : {}) };
  return (ev.select_kind ?? selectKind) === "line" ? { ...base, type: "partially_accepted", unit: "line" } : { ...base, type: "accepted", unit: "all" };
}

/** Handles a Tabby completion request (body has `segments`). */
export async function handleTabbyCompletion(ctx: EdgeContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const auth = ctx.authenticate(req);
  const body = parseBody(TabbyCompletionBody, req.body);
  const s = body.segments;
  const extra: ExtraContext[] = [
    ...(s.declarations ?? []),
    ...(s.relevant_snippets_from_changed_files ?? []),
    ...(s.relevant_snippets_from_recently_opened_files ?? []),
  ]
    .slice(0, LIMITS.extraItems)
    .map((x) => ({ filepath: x.filepath, text: x.body }));
  if (s.clipboard && extra.length < LIMITS.extraItems) extra.push({ filepath: "clipboard", text: s.clipboard });
  const request = buildCompletionRequest(ctx, auth, "tabby", {
    prefix: s.prefix,
    suffix: s.suffix ?? "",
    extra,
    ...(body.language ? { language: body.language } : {}),
    ...(s.filepath ? { filepath: s.filepath, documentKey: s.filepath } : {}),
    ...(body.user ? { user: body.user } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
  });
  const { signal, dispose } = disconnectSignal(req, reply);
  try {
    const done = await collect(await startCompletion(ctx, "tabby", request, signal));
    return { id: done.completionId, choices: [{ index: 0, text: done.text }] };
  } finally {
    dispose();
  }
}

/**
 * Tabby server version Ghostline's API corresponds to. tabby-agent 1.5 semver-coerces
 * `version.git_describe` and skips `GET /v1beta/server_setting` (so never learns that client-side
 * telemetry is disabled) when it is below 0.9.0; "ghostline-0.1.0" alone coerces to 0.1.0.
 */
export const TABBY_API_VERSION = "0.11.0";

function healthBody(ctx: EdgeContext) {
  const info = ctx.services.engine.info;
  const cpu = cpus();
  return {
    model: info.model,
    chat_model: null,
    device: ctx.services.config.engine.gpu ? "cuda" : "cpu",
    arch: arch(),
    cpu_info: cpu[0]?.model ?? "unknown",
    cpu_count: cpu.length,
    cuda_devices: [],
    version: {
      build_date: "",
      build_timestamp: "",
      git_sha: "",
      git_describe: `v${TABBY_API_VERSION}-ghostline-${process.env.npm_package_version ?? "0.1.0"}`,
    },
    webserver: false,
  };
}

/** Registers /v1/health, /v1beta/server_setting and /v1/events. */
export async function registerTabbyRoutes(app: FastifyInstance, ctx: EdgeContext): Promise<void> {
  app.get("/v1/health", async (req) => {
    ctx.authenticate(req);
    return healthBody(ctx);
  });
  app.post("/v1/health", async (req) => {
    ctx.authenticate(req);
    return healthBody(ctx);
  });
  app.get("/v1beta/server_setting", async (req) => {
    ctx.authenticate(req);
    return { disable_client_side_telemetry: ctx.services.config.telemetry.level === "off" };
  });
  app.post("/v1/events", async (req, reply) => {
    const auth = ctx.authenticate(req);
    const body = parseBody(TabbyEventBody, req.body);
    const q = req.query as Record<string, unknown>;
    const event = tabbyToFeedback(body, typeof q.select_kind === "string" ? q.select_kind : undefined);
    const feedback = ctx.services.feedback;
    if (feedback) {
      await feedback.ingest([event], {
        tenant: auth.tenant,
        ...(auth.user !== undefined ? { user: auth.user } : {}),
        ...(auth.telemetry ? { tenantTelemetry: auth.telemetry } : {}),
      });
    }
    if (event.type === "accepted") {
      try {
        ctx.services.manager.onAccepted?.(event.completion_id, undefined);
      } catch (e) {
        req.log.warn({ err: e }, "onAccepted failed");
      }
    }
    return reply.code(200).send("");
  });
}
