/**
 * OpenAI-compatible `POST /v1/completions` (prompt + suffix = FIM; SSE streaming with `[DONE]`;
 * n independent choices) and `GET /v1/models`. The same path serves Tabby's completion API when
 * the body has `segments` (see tabby-routes.ts). `POST /v1/fim/completions` is the same with
 * chat-style `delta.content` in stream chunks (Continue's Mistral/DeepSeek FIM providers).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ExtraContext, GenerationParams, LIMITS } from "@ghostline/protocol";
import type { StopReason } from "../../core/types.js";
import { toHttpError, errorBody, parseBody } from "../errors.js";
import {
  COMPAT_STOP_ITEMS,
  SseWriter,
  buildCompletionRequest,
  collect,
  disconnectSignal,
  mergeStreams,
  startCompletion,
  toWireUsage,
  type EdgeContext,
} from "../completion-stream.js";
import { handleTabbyCompletion } from "./tabby-routes.js";
import { completionId } from "../../requests/request-keys.js";

const StopField = z.union([z.string().max(LIMITS.stopChars), z.array(z.string().max(LIMITS.stopChars)).max(COMPAT_STOP_ITEMS)]);

/** The body of POST /v1/completions (OpenAI fields + Ghostline extensions; unknown fields ignored). */
export const OpenAICompletionBody = GenerationParams.extend({
  model: z.string().max(200).nullish(),
  prompt: z.union([z.string().max(LIMITS.prefixChars), z.array(z.string().max(LIMITS.prefixChars)).max(1)]).default(""),
  suffix: z.string().max(LIMITS.suffixChars).nullish(),
  max_tokens: z.number().int().min(1).max(LIMITS.maxTokens).nullish(),
  max_completion_tokens: z.number().int().min(1).max(LIMITS.maxTokens).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: StopField.nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  n: z.number().int().min(1).max(LIMITS.n).nullish(),
  user: z.string().max(200).nullish(),
  language: z.string().max(64).optional(),
  filepath: z.string().max(LIMITS.uriChars).optional(),
  extra: z.array(ExtraContext).max(LIMITS.extraItems).optional(),
});

/** OpenAI's finish_reason for a stop reason. */
export function finishReason(r: StopReason): "stop" | "length" {
  return r === "max_tokens" || r === "context_full" ? "length" : "stop";
}

/**
 * Handles an OpenAI completion. `fimStyle` (POST /v1/fim/completions, as Continue's Mistral /
 * DeepSeek providers call it) also puts each delta in `choices[].delta.content`.
 */
async function handleOpenAI(ctx: EdgeContext, req: FastifyRequest, reply: FastifyReply, fimStyle = false): Promise<unknown> {
  const handledAt = performance.now();
  const auth = ctx.authenticate(req);
  const body = parseBody(OpenAICompletionBody, req.body);
  const n = body.n ?? 1;
  const maxTokens = body.max_tokens ?? body.max_completion_tokens;
  const prompt = Array.isArray(body.prompt) ? (body.prompt[0] ?? "") : body.prompt;
  const created = Math.floor(Date.now() / 1000);
  const requests = Array.from({ length: n }, (_, i) =>
    buildCompletionRequest(ctx, auth, "openai", {
      prefix: prompt,
      suffix: body.suffix ?? "",
      ...(body.language ? { language: body.language } : {}),
      ...(body.filepath ? { filepath: body.filepath } : {}),
      ...(body.extra ? { extra: body.extra } : {}),
      ...(maxTokens != null ? { maxTokens } : {}),
      ...(body.temperature != null ? { temperature: body.temperature } : {}),
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.top_k !== undefined ? { topK: body.top_k } : {}),
      ...(body.seed != null ? { seed: body.seed + i } : {}),
      ...(body.stop != null ? { stop: body.stop } : {}),
      ...(body.mode ? { mode: body.mode } : {}),
      ...(body.speculative !== undefined ? { speculative: body.speculative } : {}),
      ...(body.client_draft ? { clientDraft: body.client_draft } : {}),
      ...(body.deadline_ms !== undefined ? { deadlineMs: body.deadline_ms } : {}),
      ...(body.model ? { model: body.model } : {}),
      ...(body.user ? { user: body.user } : {}),
      // n > 1: choices must not supersede each other (latest-wins is per document).
      ...(n === 1 && body.filepath ? { documentKey: body.filepath } : {}),
      ...(n > 1 ? { parallel: true } : {}),
    }),
  );
  const { signal, dispose } = disconnectSignal(req, reply);
  try {
    const iters = await Promise.all(requests.map((r) => startCompletion(ctx, "openai", r, signal)));
    const model = () => ctx.services.engine.info.model;
    if (!body.stream) {
      const dones = await Promise.all(iters.map((it) => collect(it)));
      const usage = dones.map((d) => toWireUsage(d.usage));
      const sum = (k: "prompt_tokens" | "completion_tokens" | "total_tokens") => usage.reduce((a, u) => a + u[k], 0);
      const first = usage[0];
      return {
        id: dones[0]?.completionId ?? "cmpl-none",
        object: "text_completion",
        created,
        model: dones[0]?.model ?? model(),
        choices: dones.map((d, index) => ({ index, text: d.text, finish_reason: finishReason(d.stopReason), logprobs: null })),
        usage: { ...first, prompt_tokens: sum("prompt_tokens"), completion_tokens: sum("completion_tokens"), total_tokens: sum("total_tokens") },
        ...(n > 1 ? { completion_ids: dones.map((d) => d.completionId) } : {}),
      };
    }
    const sse = new SseWriter(reply, handledAt);
    sse.start();
    // Chunk ids must be constant for the whole stream; the manager's completion ids (what feedback
    // events refer to) come as `completion_id` with each choice's first text chunk and its final chunk.
    const id = completionId();
    const chunk = (index: number, text: string, finish: string | null, extra: Record<string, unknown> = {}) => ({
      id,
      object: "text_completion",
      created,
      model: model(),
      choices: [{ index, text, ...(fimStyle ? { delta: { role: "assistant", content: text } } : {}), finish_reason: finish, logprobs: null }],
      ...extra,
    });
    const named = new Set<number>();
    try {
      for await (const [index, ev] of mergeStreams(iters)) {
        if (ev.type === "delta") {
          const first = !named.has(index);
          named.add(index);
          sse.send(chunk(index, ev.text, null, first ? { completion_id: ev.completionId } : {}));
          await sse.afterEvent();
          continue;
        }
        sse.send(chunk(index, "", finishReason(ev.stopReason), { usage: toWireUsage(ev.usage), completion_id: ev.completionId }));
      }
      sse.send("[DONE]");
    } catch (e) {
      const err = toHttpError(e);
      req.log.warn({ err: e }, "completion failed mid-stream");
      sse.send(errorBody(err));
    } finally {
      sse.end();
    }
    return reply;
  } finally {
    dispose();
  }
}

/** Registers POST /v1/completions (OpenAI or Tabby by body shape) and GET /v1/models. */
export async function registerOpenAIRoutes(app: FastifyInstance, ctx: EdgeContext): Promise<void> {
  app.post("/v1/completions", async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (body && typeof body === "object" && !Array.isArray(body) && "segments" in body) return handleTabbyCompletion(ctx, req, reply);
    return handleOpenAI(ctx, req, reply);
  });
  app.post("/v1/fim/completions", (req, reply) => handleOpenAI(ctx, req, reply, true));
  app.get("/v1/models", async (req) => {
    ctx.authenticate(req);
    const info = ctx.services.engine.info;
    return { object: "list", data: [{ id: info.model, object: "model", created: 0, owned_by: "ghostline" }] };
  });
}
