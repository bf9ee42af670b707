/** Feedback HTTP routes through fastify inject(), with a stand-in authenticate and error handler. */
import { Script } from "node:vm";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { GhostlineError, isGhostlineError } from "../../src/core/errors.js";
import type { FeedbackServiceImpl } from "../../src/feedback/service.js";
import { registerFeedbackRoutes } from "../../src/server/routes/feedback-routes.js";
import { makeConfig, makeService, record } from "./helpers.js";

const config = makeConfig({
  auth: {
    apiKeys: {
      "key-alpha-1234": { tenant: "alpha" },
      "key-beta-12345": { tenant: "beta", telemetry: "metrics" },
      "key-gamma-1234": { tenant: "gamma", telemetry: "off" },
    },
  },
  experiments: [{ id: "exp1", arms: [{ name: "a" }, { name: "b" }] }],
});

function authenticate(req: FastifyRequest): { tenant: string; telemetry?: "off" | "metrics" | "code" } {
  const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const entry = key ? config.auth.apiKeys[key] : undefined;
  if (!entry) throw new GhostlineError("unauthorized");
  return { tenant: entry.tenant, ...(entry.telemetry ? { telemetry: entry.telemetry } : {}) };
}

let app: FastifyInstance;
let svc: FeedbackServiceImpl;
async function setup(): Promise<void> {
  svc = await makeService("sqlite", config);
  app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    const g = isGhostlineError(err) ? err : new GhostlineError("internal", (err as Error).message);
    return reply.status(g.status).send(g.toJSON());
  });
  await registerFeedbackRoutes(app, { services: { config, feedback: svc }, authenticate });
  await app.ready();
}
afterEach(async () => {
  await app.close();
  await svc.close();
});

const auth = (k: string): Record<string, string> => ({ authorization: `Bearer ${k}` });

describe("feedback routes", () => {
  it("ingests events after commit and reports tenant-scoped metrics", async () => {
    await setup();
    await svc.recordCompletion(record("c1", { arm: { experiment: "exp1", arm: "a" } }), {
      tenant: "alpha",
      user: "u",
    });
    await svc.recordCompletion(record("c1"), { tenant: "beta", user: "u" });
    const r = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: auth("key-alpha-1234"),
      payload: {
        events: [
          { type: "shown", completion_id: "c1" },
          { type: "accepted", completion_id: "c1", unit: "all" },
        ],
      },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ accepted: 2 });
    const m = await app.inject({
      method: "GET",
      url: "/v1/feedback/metrics",
      headers: auth("key-alpha-1234"),
    });
    expect(m.json()).toMatchObject({
      tenant: "alpha",
      overall: { shown: 1, accepted: 1, acceptanceRate: 1 },
      experiments: ["exp1"],
    });
    const mb = await app.inject({
      method: "GET",
      url: "/v1/feedback/metrics",
      headers: auth("key-beta-12345"),
    });
    expect(mb.json()).toMatchObject({ tenant: "beta", overall: { completions: 1, shown: 0 } });
    const rep = await app.inject({
      method: "GET",
      url: "/v1/experiments/exp1/report",
      headers: auth("key-alpha-1234"),
    });
    expect(rep.statusCode).toBe(200);
    expect(rep.json()).toMatchObject({
      experiment: "exp1",
      control: "a",
      arms: [{ arm: "a", acceptance: { successes: 1, n: 1 } }, { arm: "b" }],
    });
    const missing = await app.inject({
      method: "GET",
      url: "/v1/experiments/nope/report",
      headers: auth("key-alpha-1234"),
    });
    expect(missing.statusCode).toBe(404);
  });

  it("rejects bad batches with invalid_request naming the field, and unauthenticated calls", async () => {
    await setup();
    const bad = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: auth("key-alpha-1234"),
      payload: {
        events: [
          { type: "shown", completion_id: "c" },
          { type: "accepted", completion_id: 5 },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: "invalid_request",
      details: { field: "events.1.completion_id" },
    });
    const tooMany = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: auth("key-alpha-1234"),
      payload: { events: Array.from({ length: 501 }, (_, i) => ({ type: "shown", completion_id: `c${i}` })) },
    });
    expect(tooMany.json().error).toMatchObject({ code: "invalid_request", details: { field: "events" } });
    const noEvents = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: auth("key-alpha-1234"),
      payload: { evts: [] },
    });
    expect(noEvents.json().error.details.field).toBe("events");
    const anon = await app.inject({ method: "POST", url: "/v1/feedback", payload: { events: [] } });
    expect(anon.statusCode).toBe(401);
  });

  it("enforces the key's telemetry ceiling whatever the client asks for", async () => {
    await setup();
    await svc.recordCompletion(record("g1"), { tenant: "gamma", tenantTelemetry: "off" });
    const r = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: { ...auth("key-gamma-1234"), "x-ghostline-telemetry": "code" },
      payload: {
        telemetry: "code",
        events: [{ type: "accepted", completion_id: "g1", kept_text: "secret code" }],
      },
    });
    expect(r.json()).toEqual({ accepted: 1 });
    expect(await svc.store.tenants()).toEqual([]);
    const b = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: { ...auth("key-beta-12345"), "x-ghostline-telemetry": "code" },
      payload: { events: [{ type: "accepted", completion_id: "b1", kept_text: "secret code" }] },
    });
    expect(b.statusCode).toBe(200);
    const [e] = await svc.store.eventsByCompletion("beta", ["b1"]);
    expect(e!.payload).toMatchObject({ type: "accepted", keptText: null });
  });

  it("erases a user of the caller's tenant only", async () => {
    await setup();
    await svc.recordCompletion(record("a1"), { tenant: "alpha", user: "alice" });
    await svc.recordCompletion(record("b1"), { tenant: "beta", user: "alice" });
    const r = await app.inject({
      method: "DELETE",
      url: "/v1/feedback/users/alice",
      headers: auth("key-alpha-1234"),
    });
    expect(r.json()).toEqual({ erased: 1 });
    expect(await svc.store.completions("alpha")).toEqual([]);
    expect(await svc.store.completions("beta")).toHaveLength(1);
  });

  it("serves a self-contained dashboard page", async () => {
    await setup();
    const r = await app.inject({ method: "GET", url: "/dashboard" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toContain("text/html");
    expect(r.body).toContain("/v1/feedback/metrics");
    expect(r.body).toContain("/v1/experiments/");
    expect(r.body).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    const script = /<script>([\s\S]*)<\/script>/.exec(r.body)?.[1];
    expect(script).toBeDefined();
    expect(() => new Script(script!)).not.toThrow(); // the inline script at least parses
  });
});
