/**
 * The feedback service inside the real server app (buildApp + request manager + fake engine):
 * a completion served over HTTP is recorded, its events are ingested, and the metrics see both.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import type { FeedbackServiceImpl } from "../../src/feedback/service.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { buildApp } from "../../src/server/app.js";
import { makeConfig, makeService } from "./helpers.js";

describe("feedback in the server app", () => {
  let close: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of close.reverse()) await c();
    close = [];
  });

  it("records served completions and ingests their events", async () => {
    const config = makeConfig({ engine: { kind: "fake" } });
    const registry = new Registry();
    const feedback: FeedbackServiceImpl = await makeService("sqlite", config, { registry });
    close.push(() => feedback.close());
    const engine = createFakeEngine();
    close.push(() => engine.close());
    const manager = createRequestManager({ engine, config, metrics: registry, feedback });
    const app = await buildApp({ config, engine, manager, registry, feedback });
    close.push(() => app.close());

    const r = await app.inject({
      method: "POST",
      url: "/v1/completions",
      remoteAddress: "127.0.0.1",
      payload: { prompt: "function add(a, b) {\n  ", suffix: "\n}\n", max_tokens: 8 },
    });
    expect(r.statusCode).toBe(200);
    const id = r.json<{ id: string }>().id;
    expect(id).toBeTruthy();
    // the record is written fire-and-forget by the request manager; metrics flush pending records
    const fb = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      remoteAddress: "127.0.0.1",
      payload: {
        events: [
          { type: "shown", completion_id: id },
          { type: "accepted", completion_id: id },
        ],
      },
    });
    expect(fb.json()).toEqual({ accepted: 2 });
    const m = await app.inject({ method: "GET", url: "/v1/feedback/metrics", remoteAddress: "127.0.0.1" });
    expect(m.statusCode).toBe(200);
    expect(m.json()).toMatchObject({ tenant: "local", overall: { completions: 1, shown: 1, accepted: 1 } });
    const bad = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      remoteAddress: "127.0.0.1",
      payload: { events: [{ type: "nope" }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: "invalid_request" } });
    const dash = await app.inject({ method: "GET", url: "/dashboard", remoteAddress: "127.0.0.1" });
    expect(dash.statusCode).toBe(200);
  });
});
