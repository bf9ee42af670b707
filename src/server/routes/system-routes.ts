/**
 * `GET /health` (llama-server style: 200 `{"status":"ok"}`, 503 `{"status":"loading model"}` before
 * the engine is ready or when it is unhealthy) and `GET /metrics` (Prometheus text format).
 */
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { toGhostlineError } from "../../core/errors.js";
import type { EdgeContext } from "../completion-stream.js";

/** Registers /health and /metrics. /metrics is open on loopback; with API keys it needs a key. */
export async function registerSystemRoutes(app: FastifyInstance, ctx: EdgeContext, registry: Registry): Promise<void> {
  app.get("/health", async (_req, reply) => {
    if (ctx.services.ready && !ctx.services.ready()) return reply.code(503).send({ status: "loading model" });
    try {
      await ctx.services.engine.health();
      return { status: "ok" };
    } catch (e) {
      const err = toGhostlineError(e, "engine_error");
      return reply.code(503).send({ status: "error", error: { code: err.code, message: err.message } });
    }
  });
  app.get("/metrics", async (req, reply) => {
    ctx.authenticate(req);
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
