import { afterEach, describe, expect, it } from "vitest";
import { LIMITS } from "@ghostline/protocol";
import { GhostlineError } from "../../src/core/errors.js";
import { makeServer, type TestServer } from "./helpers.js";

let s: TestServer;
afterEach(async () => s?.close());

const raw = (url: string, payload: string | Buffer, contentType = "application/json", extra: Record<string, string> = {}) =>
  s.app.inject({ method: "POST", url, payload, headers: { "content-type": contentType, ...extra } });

describe("error mapping", () => {
  it("malformed JSON → 400 invalid_json", async () => {
    s = await makeServer();
    const res = await raw("/v1/completions", "{ not json");
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_json");
  });

  it("empty JSON body → invalid_json", async () => {
    s = await makeServer();
    const res = await raw("/infill", "");
    expect(res.json().error.code).toBe("invalid_json");
  });

  it("invalid UTF-8 → 400 invalid_utf8", async () => {
    s = await makeServer();
    const res = await raw("/v1/completions", Buffer.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_utf8");
    // the strict decoder is shared by all bodies: a failed decode leaves nothing behind
    const ok = await raw("/v1/completions", Buffer.from(JSON.stringify({ prompt: "def f(", suffix: "é", max_tokens: 2 })));
    expect(ok.statusCode).toBe(200);
    const again = await raw("/v1/completions", Buffer.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d]));
    expect(again.json().error.code).toBe("invalid_utf8");
  });

  it("oversized field → 413 field_too_large naming the field", async () => {
    s = await makeServer();
    const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x", suffix: "y".repeat(LIMITS.suffixChars + 1) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: "field_too_large", details: { field: "suffix" } });
    const res2 = await s.app.inject({ method: "POST", url: "/infill", payload: { input_prefix: "x".repeat(LIMITS.prefixChars + 1) } });
    expect(res2.json().error.details.field).toBe("input_prefix");
  });

  it("body over the size limit → 413 payload_too_large", async () => {
    s = await makeServer({ config: { server: { bodyLimitBytes: 1000 } } });
    const res = await raw("/v1/completions", JSON.stringify({ prompt: "x".repeat(2000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
  });

  it("bad types → 400 invalid_request with the field path", async () => {
    s = await makeServer();
    const cases: [string, unknown, string][] = [
      ["/v1/completions", { prompt: 42 }, "prompt"],
      ["/v1/completions", { prompt: "x", max_tokens: "ten" }, "max_tokens"],
      ["/v1/completions", { prompt: "x", n: 99 }, "n"],
      ["/infill", { input_prefix: "x", input_extra: [{ filename: "a", text: 5 }] }, "input_extra.0.text"],
      ["/v1/completions", { segments: { prefix: 1 } }, "segments.prefix"],
    ];
    for (const [url, payload, field] of cases) {
      const res = await s.app.inject({ method: "POST", url, payload: payload as object });
      expect(res.statusCode, url + JSON.stringify(payload)).toBe(400);
      expect(res.json().error).toMatchObject({ code: "invalid_request", details: { field } });
    }
    const arr = await raw("/v1/completions", "[1,2]");
    expect(arr.json().error).toMatchObject({ code: "invalid_request", details: { field: "body" } });
  });

  it("unknown route → 404 not_found; non-JSON → 415", async () => {
    s = await makeServer();
    const nf = await s.app.inject({ method: "GET", url: "/nope" });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe("not_found");
    const media = await raw("/v1/completions", "prompt=x", "text/plain");
    expect(media.statusCode).toBe(415);
    expect(media.json().error.code).toBe("unsupported_media_type");
  });

  it("engine errors become typed responses and the server keeps serving", async () => {
    s = await makeServer({ engine: { failWith: new GhostlineError("context_overflow", "too long") } });
    const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("context_overflow");
    const health = await s.app.inject({ method: "GET", url: "/health" });
    expect(health.json()).toEqual({ status: "ok" });
  });
});

describe("auth and tenancy", () => {
  const keys = { auth: { apiKeys: { "key-aaaa-1111": { tenant: "acme" }, "key-bbbb-2222": { tenant: "globex", user: "bob" } } } };

  it("requires a key when keys are configured", async () => {
    s = await makeServer({ config: keys });
    const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("unauthorized");
    const bad = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" }, headers: { authorization: "Bearer wrong-key-123" } });
    expect(bad.json().error.code).toBe("unauthorized");
  });

  it("maps keys from every supported header to tenants", async () => {
    s = await makeServer({ config: keys });
    const variants: Record<string, string>[] = [
      { authorization: "Bearer key-aaaa-1111" },
      { authorization: "Token key-aaaa-1111" },
      { "x-api-key": "key-aaaa-1111" },
      { api_key: "key-aaaa-1111" },
    ];
    for (const [i, headers] of variants.entries()) {
      const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: `x${i}` }, headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(200);
    }
    // The same prompt from another tenant is never served from the first tenant's cache.
    await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x0" }, headers: { authorization: "Bearer key-bbbb-2222" } });
    await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x0" }, headers: { authorization: "Bearer key-aaaa-1111" } });
    expect(s.engine.calls.map((c) => c.tenant)).toEqual(["acme", "acme", "acme", "acme", "globex"]);
  });

  it("rejects a key acting for another tenant with 403 forbidden", async () => {
    s = await makeServer({ config: keys });
    const res = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" }, headers: { authorization: "Bearer key-aaaa-1111", "x-ghostline-tenant": "globex" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("forbidden");
  });

  it("without keys serves loopback only", async () => {
    s = await makeServer();
    const local = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" } });
    expect(local.statusCode).toBe(200);
    const remote = await s.app.inject({ method: "POST", url: "/v1/completions", payload: { prompt: "x" }, remoteAddress: "10.1.2.3" });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().error.code).toBe("forbidden");
  });
});
