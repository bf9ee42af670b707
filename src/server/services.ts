/**
 * The dependencies the HTTP/WS edge is built from (passed to buildApp and to route modules).
 */
import type { Registry } from "prom-client";
import type { Config } from "../config/schema.js";
import type { Engine } from "../core/types.js";
import type { RequestManager } from "../requests/types.js";
import type { FeedbackService } from "../feedback/types.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ModelPoolEngine } from "../registry/model-pool-engine.js";

/** Services of the server. `registry` should be the one the manager was created with (shared /metrics). */
export interface AppServices {
  config: Config;
  engine: Engine;
  manager: RequestManager;
  feedback?: FeedbackService;
  /** prom-client registry for /metrics; buildApp creates one when absent. */
  registry?: Registry;
  /** False while the model is still loading (GET /health answers 503); default always ready. */
  ready?: () => boolean;
  /** Model registry + pool (hot swap): enables the /v1/admin/models routes. */
  models?: { registry: ModelRegistry; pool: ModelPoolEngine };
  /** fastify logger option (default false). */
  logger?: boolean | object;
}
