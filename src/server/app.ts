/**
 * buildApp(): the fastify HTTP + WebSocket edge. Routes: OpenAI /v1/completions (+ Tabby by body
 * shape), llama-server /infill, Tabby /v1/health, /v1beta/server_setting, /v1/events, /health,
 * /metrics, WebSocket /v1/stream (ws-session.ts), the playground and feedback routes.
 * Errors are mapped in one place (errors.ts); the process never crashes on bad input.
 */
import Fastify, { type FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { Registry } from "prom-client";
import { createAuthenticator } from "./auth.js";
import { installErrorHandling } from "./errors.js";
import { createServerMetrics } from "./metrics.js";
import type { AppServices } from "./services.js";
import type { EdgeContext } from "./completion-stream.js";
import { registerOpenAIRoutes } from "./routes/openai-routes.js";
import { registerInfillRoutes } from "./routes/infill-routes.js";
import { registerTabbyRoutes } from "./routes/tabby-routes.js";
import { registerSystemRoutes } from "./routes/system-routes.js";
import { registerPlaygroundRoutes } from "./routes/playground-routes.js";
import { registerFeedbackRoutes } from "./routes/feedback-routes.js";
import { registerModelsRoutes } from "./routes/models-routes.js";
import { handleSession } from "./ws-session.js";

/** Builds (but does not listen) the server. `services.registry` is created when absent. */
export async function buildApp(services: AppServices): Promise<FastifyInstance> {
  const { config } = services;
  const registry = services.registry ?? new Registry();
  const svc: AppServices = { ...services, registry };
  const app = Fastify({
    logger: services.logger ?? false,
    bodyLimit: config.server.bodyLimitBytes,
    // Long-lived SSE / WS streams: no request timeout; idle sockets are closed by keep-alive.
    requestTimeout: 0,
    return503OnClosing: true,
    trustProxy: config.server.trustProxy,
  });
  installErrorHandling(app);
  const metrics = createServerMetrics(registry, () => {
    const s = services.manager.stats();
    return { inFlight: s.inFlight, queued: s.queued };
  });
  const authenticate = createAuthenticator(config);
  const ctx: EdgeContext = { services: svc, metrics, authenticate };

  app.addHook("onResponse", async (req, reply) => {
    metrics.requests.inc({ route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) });
  });

  await app.register(websocket, { options: { maxPayload: config.server.bodyLimitBytes } });
  await registerSystemRoutes(app, ctx, registry);
  await registerOpenAIRoutes(app, ctx);
  await registerInfillRoutes(app, ctx);
  await registerTabbyRoutes(app, ctx);

  app.get("/v1/stream", { websocket: true }, (socket, req) => {
    let auth;
    try {
      auth = authenticate(req);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      socket.send(JSON.stringify({ type: "error", error: { code: err.code ?? "unauthorized", message: err.message ?? "unauthorized" } }));
      socket.close(1008, err.code ?? "unauthorized");
      return;
    }
    handleSession(socket, { auth, services: svc });
  });

  await registerPlaygroundRoutes(app, { services: svc });
  if (services.models) await registerModelsRoutes(app, { ...services.models, authenticate });
  if (services.feedback) {
    await registerFeedbackRoutes(app, { services: svc as never, authenticate });
  }
  return app;
}
