/**
 * llama-server compatible `POST /infill` (and `/v1/infill`) as llama.vim and llama.vscode send it:
 * `prompt` (text typed after input_prefix) is appended to the prefix, `input_extra` becomes extra
 * context, `t_max_prompt_ms + t_max_predict_ms` the deadline, `n_indent > 0` block mode,
 * `n_cmpl > 1` an array reply, `response_fields` flattens the reply to the listed (dotted or
 * slashed) paths. `n_predict: 0` (the clients' cache warm-up) answers at once without generating.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LIMITS } from "@ghostline/protocol";
import type { StopReason } from "../../core/types.js";
import type { CompletionDone } from "../../requests/types.js";
import { errorBody, parseBody, toHttpError } from "../errors.js";
import { COMPAT_STOP_ITEMS, SseWriter, buildCompletionRequest, collect, disconnectSignal, mergeStreams, startCompletion, type EdgeContext } from "../completion-stream.js";

/** The body of POST /infill (unknown fields such as samplers' own knobs are ignored). */
export const InfillBody = z.object({
  input_prefix: z.string().max(LIMITS.prefixChars).default(""),
  input_suffix: z.string().max(LIMITS.suffixChars).default(""),
  input_extra: z.array(z.object({ filename: z.string().max(LIMITS.uriChars).default(""), text: z.string().max(LIMITS.extraChars) })).max(256).default([]),
  prompt: z.string().max(LIMITS.prefixChars).default(""),
  n_predict: z.number().int().min(-1).max(100_000).optional(),
  t_max_prompt_ms: z.number().min(0).max(600_000).optional(),
  t_max_predict_ms: z.number().min(0).max(600_000).optional(),
  cache_prompt: z.boolean().optional(),
  n_indent: z.number().int().min(0).max(1000).optional(),
  samplers: z.array(z.string().max(64)).max(32).optional(),
  top_k: z.number().int().min(0).max(1000).optional(),
  top_p: z.number().min(0).max(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string().max(LIMITS.stopChars)).max(COMPAT_STOP_ITEMS).optional(),
  stream: z.boolean().optional(),
  n_cmpl: z.number().int().min(1).max(LIMITS.n).optional(),
  response_fields: z.array(z.string().max(200)).max(64).optional(),
  id_slot: z.number().int().optional(),
  model: z.string().max(200).optional(),
  filepath: z.string().max(LIMITS.uriChars).optional(),
  language: z.string().max(64).optional(),
  client_draft: z.string().max(LIMITS.clientDraftChars).optional(),
  speculative: z.boolean().optional(),
});
type InfillBody = z.infer<typeof InfillBody>;

/** llama-server's stop_type for a stop reason. */
export function stopType(r: StopReason): "eos" | "limit" | "word" | "none" {
  switch (r) {
    case "eos":
    case "end_of_line":
    case "end_of_block":
      return "eos";
    case "max_tokens":
    case "context_full":
    case "deadline":
      return "limit";
    case "stop_string":
      return "word";
    default:
      return "none";
  }
}

function timings(d: CompletionDone | undefined) {
  const u = d?.usage;
  const promptN = u?.promptTokensEvaluated ?? 0;
  const promptMs = u?.timings.prefillMs ?? 0;
  const predictedN = u?.completionTokens ?? 0;
  const predictedMs = u ? Math.max(0, u.timings.decodeMs) : 0;
  const per = (ms: number, n: number) => (n > 0 ? ms / n : 0);
  const rate = (ms: number, n: number) => (ms > 0 ? (1000 * n) / ms : 0);
  const spec = u?.speculative;
  const sumOf = (m: Record<string, number | undefined> | undefined) => Object.values(m ?? {}).reduce<number>((a, b) => a + (b ?? 0), 0);
  return {
    prompt_n: promptN,
    prompt_ms: promptMs,
    prompt_per_token_ms: per(promptMs, promptN),
    prompt_per_second: rate(promptMs, promptN),
    predicted_n: predictedN,
    predicted_ms: predictedMs,
    predicted_per_token_ms: per(predictedMs, predictedN),
    predicted_per_second: rate(predictedMs, predictedN),
    ...(spec ? { draft_n: sumOf(spec.proposed), draft_n_accepted: sumOf(spec.accepted) } : {}),
  };
}

function infillReply(ctx: EdgeContext, body: InfillBody, d: CompletionDone | undefined, index: number): Record<string, unknown> {
  const stopReason: StopReason = d?.stopReason ?? "max_tokens";
  const content = d?.text ?? "";
  return {
    index,
    content,
    id_slot: body.id_slot ?? -1,
    stop: true,
    model: d?.model ?? ctx.services.engine.info.model,
    completion_id: d?.completionId ?? null,
    tokens_predicted: d?.usage.completionTokens ?? 0,
    tokens_evaluated: d?.usage.promptTokensEvaluated ?? 0,
    tokens_cached: (d?.usage.promptTokensReused ?? 0) + (d?.usage.promptTokensEvaluated ?? 0) + (d?.usage.completionTokens ?? 0),
    has_new_line: content.includes("\n"),
    truncated: d?.usage.truncated ?? false,
    stop_type: stopType(stopReason),
    stopping_word: "",
    timings: timings(d),
  };
}

/** llama-server's response_fields: a flat object keyed by each requested path ("a/b" or "a.b"). */
export function pickFields(obj: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields || fields.length === 0) return obj;
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    let cur: unknown = obj;
    for (const part of path.split(/[/.]/)) {
      cur = cur !== null && typeof cur === "object" && part in (cur) ? (cur as Record<string, unknown>)[part] : undefined;
      if (cur === undefined) break;
    }
    if (cur !== undefined && path !== "") out[path] = cur;
  }
  return out;
}

async function handleInfill(ctx: EdgeContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const handledAt = performance.now();
  const auth = ctx.authenticate(req);
  const body = parseBody(InfillBody, req.body);
  const n = body.n_cmpl ?? 1;
  const shape = (rs: Record<string, unknown>[]) => {
    const picked = rs.map((r) => pickFields(r, body.response_fields));
    return n > 1 ? picked : picked[0];
  };
  // Warm-up / cache-only requests (n_predict 0): nothing to generate.
  if (body.n_predict === 0) return shape(Array.from({ length: n }, (_, i) => infillReply(ctx, body, undefined, i)));
  const maxTokens = body.n_predict === undefined || body.n_predict < 0 ? undefined : Math.min(body.n_predict, LIMITS.maxTokens);
  const budget = body.t_max_predict_ms ? (body.t_max_prompt_ms ?? 0) + body.t_max_predict_ms : undefined;
  const extra = body.input_extra.slice(-LIMITS.extraItems).map((e) => ({ filepath: e.filename, text: e.text }));
  const requests = Array.from({ length: n }, (_, i) =>
    buildCompletionRequest(ctx, auth, "infill", {
      prefix: body.input_prefix + body.prompt,
      suffix: body.input_suffix,
      extra,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
      ...(body.top_p !== undefined && body.top_p > 0 ? { topP: body.top_p } : {}),
      ...(body.top_k !== undefined ? { topK: body.top_k } : {}),
      ...(body.seed !== undefined ? { seed: body.seed + i } : {}),
      ...(body.stop ? { stop: body.stop } : {}),
      ...(body.n_indent ? { mode: "block" as const } : {}),
      ...(budget !== undefined ? { deadlineMs: Math.min(60_000, Math.max(1, Math.round(budget))) } : {}),
      ...(body.filepath ? { filepath: body.filepath } : {}),
      ...(body.language ? { language: body.language } : {}),
      ...(body.client_draft ? { clientDraft: body.client_draft } : {}),
      ...(body.speculative !== undefined ? { speculative: body.speculative } : {}),
      ...(body.model ? { model: body.model } : {}),
      ...(n === 1 && body.filepath ? { documentKey: body.filepath } : {}),
      ...(n > 1 ? { parallel: true } : {}),
    }),
  );
  const { signal, dispose } = disconnectSignal(req, reply);
  try {
    const iters = await Promise.all(requests.map((r) => startCompletion(ctx, "infill", r, signal)));
    if (!body.stream) {
      const dones = await Promise.all(iters.map((it) => collect(it)));
      return shape(dones.map((d, i) => infillReply(ctx, body, d, i)));
    }
    const sse = new SseWriter(reply, handledAt);
    sse.start();
    try {
      for await (const [index, ev] of mergeStreams(iters)) {
        if (ev.type === "delta") {
          sse.send({ index, content: ev.text, stop: false, id_slot: body.id_slot ?? -1, tokens_predicted: ev.tokens });
          await sse.afterEvent();
        } else {
          const fin = { ...infillReply(ctx, body, ev, index), content: "" };
          sse.send(body.response_fields?.length ? { ...pickFields(fin, body.response_fields), index, stop: true } : fin);
        }
      }
    } catch (e) {
      req.log.warn({ err: e }, "infill failed mid-stream");
      sse.send(errorBody(toHttpError(e)));
    } finally {
      sse.end();
    }
    return reply;
  } finally {
    dispose();
  }
}

/** Registers POST /infill and POST /v1/infill. */
export async function registerInfillRoutes(app: FastifyInstance, ctx: EdgeContext): Promise<void> {
  app.post("/infill", (req, reply) => handleInfill(ctx, req, reply));
  app.post("/v1/infill", (req, reply) => handleInfill(ctx, req, reply));
}
