/**
 * Model lifecycle API (admin keys only): list versions with their cards and memory, register a new
 * version (e.g. a fine-tuned GGUF), load / unload, and activate (hot swap: new requests go to the
 * new version at once, in-flight ones finish on the old one, which then closes).
 *
 *   GET    /v1/admin/models                       → { active, models: [...], loaded: [...] }
 *   POST   /v1/admin/models                       { version, path, draft_path?, name? } → entry
 *   POST   /v1/admin/models/:version/load | /unload | /activate
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { GhostlineError } from "../../core/errors.js";
import type { ModelPoolEngine } from "../../registry/model-pool-engine.js";
import type { ModelRegistry } from "../../registry/model-registry.js";
import type { AuthContext } from "../auth.js";

/** Dependencies: the registry and the pool engine the server runs on. */
export interface ModelsRouteDeps {
  registry: ModelRegistry;
  pool: ModelPoolEngine;
  authenticate: (req: FastifyRequest) => AuthContext;
}

const RegisterBody = z.object({
  version: z.string().min(1).max(64),
  path: z.string().min(1).max(4096),
  draft_path: z.string().min(1).max(4096).optional(),
  name: z.string().min(1).max(128).optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new GhostlineError("invalid_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`, {
      details: { field: issue?.path.join(".") },
    });
  }
  return r.data;
}

/** Registers the admin model routes. */
export async function registerModelsRoutes(app: FastifyInstance, deps: ModelsRouteDeps): Promise<void> {
  const admin = (req: FastifyRequest): void => {
    const auth = deps.authenticate(req);
    if (!auth.admin) throw new GhostlineError("forbidden", "Model management needs an admin API key");
  };
  const view = () => ({
    active: deps.pool.activeVersion,
    models: deps.registry.list().map((e) => ({ version: e.version, name: e.name, path: e.path, draft_path: e.draftPath ?? null, bytes: e.bytes, source: e.source, card: e.card ?? null })),
    loaded: deps.pool.memory(),
  });
  app.get("/v1/admin/models", async (req) => {
    admin(req);
    deps.registry.reload();
    return view();
  });
  app.post("/v1/admin/models", async (req, reply) => {
    admin(req);
    const body = parse(RegisterBody, req.body);
    const entry = deps.registry.register({ version: body.version, path: body.path, ...(body.draft_path ? { draftPath: body.draft_path } : {}), ...(body.name ? { name: body.name } : {}) });
    reply.code(201);
    return entry;
  });
  for (const action of ["load", "unload", "activate"] as const) {
    app.post<{ Params: { version: string } }>(`/v1/admin/models/:version/${action}`, async (req) => {
      admin(req);
      deps.registry.reload();
      const version = req.params.version;
      deps.registry.get(version); // model_not_found when unknown
      if (action === "load") await deps.pool.load(version);
      else if (action === "unload") await deps.pool.unload(version);
      else await deps.pool.activate(version);
      return view();
    });
  }
}
