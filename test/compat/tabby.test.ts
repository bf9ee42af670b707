import { afterEach, describe, expect, it } from "vitest";
import { makeServer, recordingFeedback, type TestServer } from "../server/helpers.js";

let s: TestServer;
afterEach(async () => s?.close());

const auth = { authorization: "Bearer tabby-key-123" };
const config = { auth: { apiKeys: { "tabby-key-123": { tenant: "team" } } }, telemetry: { level: "off" as const } };

describe("Tabby API (tabby-agent 1.5)", () => {
  it("GET and POST /v1/health describe the server", async () => {
    s = await makeServer({ config });
    for (const method of ["GET", "POST"] as const) {
      const res = await s.app.inject({ method, url: "/v1/health", headers: auth });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ model: "fake-model", device: "cpu", cuda_devices: [] });
      expect(typeof body.arch).toBe("string");
      expect(typeof body.cpu_count).toBe("number");
      expect(typeof body.version.git_describe).toBe("string");
    }
  });

  it("server_setting disables client telemetry when the level is off", async () => {
    s = await makeServer({ config });
    const res = await s.app.inject({ method: "GET", url: "/v1beta/server_setting", headers: auth });
    expect(res.json()).toEqual({ disable_client_side_telemetry: true });
  });

  it("completes a segments request and maps the context", async () => {
    s = await makeServer({ config, engine: { script: (r) => `(${r.fim.suffix.trim()})` } });
    const res = await s.app.inject({
      method: "POST",
      url: "/v1/completions",
      headers: auth,
      payload: {
        language: "typescript",
        segments: {
          prefix: "function f() {\n  return ",
          suffix: "\n}\n",
          filepath: "src/f.ts",
          git_url: "https://example.com/r.git",
          declarations: [{ filepath: "src/g.ts", body: "export function g(): number" }],
          relevant_snippets_from_changed_files: [{ filepath: "src/h.ts", body: "h()", score: 0.5 }],
          clipboard: "clip",
        },
        user: "alice",
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.choices).toEqual([{ index: 0, text: "(})" }]);
    const call = s.engine.calls[0]!;
    expect(call.tenant).toBe("team");
    expect(call.fim.language).toBe("typescript");
    expect(call.fim.extra?.map((e) => e.filepath)).toEqual(["src/g.ts", "src/h.ts", "clipboard"]);
  });

  it("events reach the FeedbackService mapped to Ghostline events", async () => {
    const feedback = recordingFeedback();
    s = await makeServer({ config, feedback });
    const send = (payload: object, query = "") => s.app.inject({ method: "POST", url: `/v1/events${query}`, headers: auth, payload });
    const base = { completion_id: "cmpl-abc", choice_index: 0, view_id: "view-1" };
    expect((await send({ ...base, type: "view" })).statusCode).toBe(200);
    expect((await send({ ...base, type: "select", elapsed: 1200 })).statusCode).toBe(200);
    expect((await send({ ...base, type: "select", select_kind: "line" }, "?select_kind=line")).statusCode).toBe(200);
    expect((await send({ ...base, type: "dismiss", elapsed: 800 })).statusCode).toBe(200);
    const evs = feedback.events.map((e) => e.events[0]);
    expect(evs).toEqual([
      { type: "shown", completion_id: "cmpl-abc" },
      { type: "accepted", completion_id: "cmpl-abc", unit: "all" },
      { type: "partially_accepted", completion_id: "cmpl-abc", unit: "line" },
      { type: "dismissed", completion_id: "cmpl-abc", visible_ms: 800 },
    ]);
    expect(feedback.events.every((e) => e.tenant === "team")).toBe(true);
    const bad = await send({ type: "explode", completion_id: "x" });
    expect(bad.json().error.code).toBe("invalid_request");
  });

  it("does not acknowledge events the feedback service failed to store", async () => {
    const feedback = recordingFeedback();
    feedback.ingest = async () => {
      const { GhostlineError } = await import("../../src/core/errors.js");
      throw new GhostlineError("storage_error", "disk full");
    };
    s = await makeServer({ config, feedback });
    const res = await s.app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { type: "view", completion_id: "c", choice_index: 0 } });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe("storage_error");
  });
});
