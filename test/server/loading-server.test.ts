import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { startLoadingServer } from "../../src/server/loading-server.js";

describe("loading placeholder", () => {
  let server: FastifyInstance | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("answers 503 loading model on /health and a typed model_loading error elsewhere, on a real port", async () => {
    const started = await startLoadingServer("127.0.0.1", 0);
    server = started.server;
    expect(started.port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${started.port}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "loading model" });
    const comp = await fetch(`http://127.0.0.1:${started.port}/v1/completions`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(comp.status).toBe(503);
    expect(comp.headers.get("retry-after")).toBe("2");
    expect(((await comp.json()) as { error: { code: string } }).error.code).toBe("model_loading");
  });
});
