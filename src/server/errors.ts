/**
 * The one place where failures become HTTP responses: GhostlineError → its status and
 * `{error:{code,message,details}}`; zod errors → invalid_request (or field_too_large for a size
 * limit) naming the field; fastify's own errors (body limit, media type, ...) → their codes.
 * Also installs the strict JSON body parser (fatal UTF-8 decoding) and the not-found handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZodError, type z } from "zod";
import { GhostlineError, toGhostlineError } from "../core/errors.js";

/** Converts a zod error to a GhostlineError naming the first offending field. */
export function fromZodError(error: ZodError, prefix = ""): GhostlineError {
  const issue = error.issues[0];
  const path = issue ? [prefix, ...issue.path.map(String)].filter(Boolean).join(".") : prefix;
  const field = path || "body";
  const tooLarge = error.issues.find((i) => i.code === "too_big" && (i.origin === "string" || i.origin === "array"));
  if (tooLarge) {
    const f = [prefix, ...tooLarge.path.map(String)].filter(Boolean).join(".") || "body";
    return new GhostlineError("field_too_large", `${f}: ${tooLarge.message}`, { details: { field: f, limit: Number((tooLarge as { maximum?: unknown }).maximum) } });
  }
  return new GhostlineError("invalid_request", `${field}: ${issue?.message ?? "invalid"}`, {
    details: { field, issues: error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join("."), message: i.message })) },
  });
}

/** Parses `body` with `schema`, throwing a typed GhostlineError on failure. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw new GhostlineError("invalid_request", "body: expected a JSON object", { details: { field: "body" } });
  const r = schema.safeParse(body);
  if (!r.success) throw fromZodError(r.error);
  return r.data;
}

const FASTIFY_CODES: Record<string, GhostlineError["code"]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_VALIDATION: "invalid_request",
  FST_ERR_NOT_FOUND: "not_found",
};

/** Maps anything thrown by a handler or fastify to a GhostlineError. */
export function toHttpError(e: unknown): GhostlineError {
  if (e instanceof GhostlineError) return e;
  if (e instanceof ZodError) return fromZodError(e);
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && FASTIFY_CODES[code]) return new GhostlineError(FASTIFY_CODES[code], undefined, { cause: e });
  const status = (e as { statusCode?: unknown })?.statusCode;
  if (status === 404) return new GhostlineError("not_found", undefined, { cause: e });
  if (status === 413) return new GhostlineError("payload_too_large", undefined, { cause: e });
  if (status === 415) return new GhostlineError("unsupported_media_type", undefined, { cause: e });
  if (typeof status === "number" && status >= 400 && status < 500) return new GhostlineError("invalid_request", (e as Error).message, { cause: e });
  return toGhostlineError(e, "internal");
}

/** The JSON body of an error. Internal errors do not leak their message. */
export function errorBody(err: GhostlineError): ReturnType<GhostlineError["toJSON"]> {
  if (err.code === "internal") return new GhostlineError("internal").toJSON();
  return err.toJSON();
}

/** Sends `e` as a typed JSON error (safe to call from any handler). */
export function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = toHttpError(e);
  return reply.code(err.status).type("application/json; charset=utf-8").send(errorBody(err));
}

/** Strict UTF-8 (invalid bytes throw); one decoder for every body (a decode without `stream` keeps no state). */
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Installs the JSON parser, the error handler and the not-found handler on `app`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req: FastifyRequest, body: Buffer | string, done) => {
    let text: string;
    try {
      text = typeof body === "string" ? body : utf8Strict.decode(body);
    } catch (e) {
      done(new GhostlineError("invalid_utf8", undefined, { cause: e }), undefined);
      return;
    }
    if (text.trim() === "") {
      done(new GhostlineError("invalid_json", "The body is empty"), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new GhostlineError("invalid_json", `The body is not valid JSON: ${(e as Error).message}`, { cause: e }), undefined);
    }
  });
  app.setErrorHandler((e, req, reply) => {
    const err = toHttpError(e);
    if (err.status >= 500) req.log.error({ err: e }, "request failed");
    return reply.code(err.status).type("application/json; charset=utf-8").send(errorBody(err));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new GhostlineError("not_found", `No route ${req.method} ${req.url.split("?")[0]?.slice(0, 200)}`);
    return reply.code(404).type("application/json; charset=utf-8").send(err.toJSON());
  });
}
