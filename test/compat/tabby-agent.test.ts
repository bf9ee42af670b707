/**
 * End to end with the real tabby-agent 1.5.0 (the client inside the Tabby VS Code / JetBrains / Vim
 * plugins), driven over its stdio JSON-lines protocol: the agent process talks to Ghostline over a
 * real socket with an API key mapped to a tenant, a fake engine and a real SQLite feedback store.
 * Checks health, server settings, completion with `segments`, and view / select events landing in
 * the tenant's feedback store. The agent's HOME is a temp dir and its anonymous usage tracking is
 * disabled in `initialize`, so it only ever talks to the test server.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import type { TelemetryLevel } from "../../src/feedback/types.js";
import { createFakeEngine, type FakeEngine } from "../../src/engines/fake/fake-engine.js";
import { createFeedbackService, type FeedbackServiceImpl } from "../../src/feedback/service.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { buildApp } from "../../src/server/app.js";
import { startTabbyAgent, type TabbyAgentProcess } from "./fixtures/tabby-agent-driver.js";

const KEY = "tabby-agent-key-0001";
const TENANT = "team-tabby";
const COMPLETION = "a + b;";
const PREFIX = "export function add(a: number, b: number): number {\n  return ";
const SUFFIX = "\n}\n";

interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

/** Ghostline (fake engine, SQLite feedback) listening on 127.0.0.1 plus a tabby-agent child process. */
interface Stack {
  app: FastifyInstance;
  engine: FakeEngine;
  feedback: FeedbackServiceImpl;
  agent: TabbyAgentProcess;
  endpoint: string;
  home: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

async function startStack(level: TelemetryLevel): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), "ghostline-tabby-data-"));
  const home = mkdtempSync(join(tmpdir(), "ghostline-tabby-home-"));
  const config = ConfigSchema.parse({
    engine: { kind: "fake" },
    telemetry: { level, salt: "test-salt" },
    auth: { apiKeys: { [KEY]: { tenant: TENANT } } },
  });
  const registry = new Registry();
  const feedback = await createFeedbackService({
    config,
    dataDir,
    store: "sqlite",
    registry,
    purgeIntervalMs: 0,
    env: {},
  });
  const engine = createFakeEngine({ script: () => COMPLETION, tokenDelayMs: 1 });
  const manager = createRequestManager({
    engine,
    config,
    metrics: registry,
    feedback,
    coalesceMs: 0,
    log: () => {},
  });
  const app = await buildApp({ config, engine, manager, registry, feedback });
  const seen: SeenRequest[] = [];
  app.addHook("preHandler", async (req) => {
    seen.push({
      method: req.method,
      path: req.url.split("?")[0]!,
      ...(typeof req.headers.authorization === "string" ? { authorization: req.headers.authorization } : {}),
      body: req.body,
    });
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("no TCP address");
  const agent = startTabbyAgent(home);
  return {
    app,
    engine,
    feedback,
    agent,
    endpoint: `http://127.0.0.1:${addr.port}`,
    home,
    seen,
    async close() {
      await agent.stop();
      await app.close();
      await manager.close();
      await engine.close();
      await feedback.close();
      for (const d of [dataDir, home]) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** `initialize` as the IDE plugins call it, with the agent's own usage tracking off and its file logs silent. */
function initialize(s: Stack): Promise<boolean> {
  const options = {
    config: {
      server: { endpoint: s.endpoint, token: KEY },
      anonymousUsageTracking: { disable: true },
      logs: { level: "silent" },
    },
    clientProperties: { session: { client: "ghostline-compat-test" }, user: {} },
  };
  return s.agent.call<boolean>("initialize", [options], 20_000);
}

describe("tabby-agent 1.5.0 against a live Ghostline", () => {
  let s: Stack;
  let completionId = "";
  beforeAll(async () => {
    s = await startStack("metrics");
  }, 30_000);
  afterAll(async () => s?.close(), 30_000);

  it("initializes against /v1/health and /v1beta/server_setting with the bearer token", async () => {
    expect(await initialize(s)).toBe(true);
    expect(await s.agent.call("getStatus", [])).toBe("ready");
    const health = s.seen.filter((r) => r.path === "/v1/health");
    expect(health.length).toBeGreaterThan(0);
    expect(health[0]!.authorization).toBe(`Bearer ${KEY}`);
    expect(await s.agent.call("getServerHealthState", [])).toMatchObject({
      model: "fake-model",
      device: "cpu",
    });
    expect(s.agent.events.some((e) => e.event === "statusChanged" && e.status === "ready")).toBe(true);
    // fetched without being awaited by initialize, and only when git_describe reads as Tabby >= 0.9
    await vi.waitFor(() => expect(s.seen.some((r) => r.path === "/v1beta/server_setting")).toBe(true), {
      timeout: 10_000,
    });
    expect(s.seen.find((r) => r.path === "/v1beta/server_setting")!.authorization).toBe(`Bearer ${KEY}`);
  }, 30_000);

  it("gets the engine's completion through POST /v1/completions with segments", async () => {
    const text = PREFIX + SUFFIX;
    type Res = {
      id: string;
      choices: { index: number; text: string; replaceRange: { start: number; end: number } }[];
    };
    const res = await s.agent.call<Res | null>(
      "provideCompletions",
      [
        {
          filepath: "/work/project/src/add.ts",
          language: "typescript",
          text,
          position: PREFIX.length,
          manually: true,
        },
      ],
      20_000,
    );
    expect(res, s.agent.stderr()).not.toBeNull();
    expect(res!.id).toMatch(/^cmpl-/);
    expect(res!.choices.map((c) => c.text)).toEqual([COMPLETION]);
    expect(res!.choices[0]!.replaceRange).toEqual({ start: PREFIX.length, end: PREFIX.length });
    completionId = res!.id;

    const req = s.seen.find((r) => r.path === "/v1/completions");
    expect(req?.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body).toMatchObject({ language: "typescript", segments: { prefix: PREFIX, suffix: SUFFIX } });
    expect(s.engine.calls).toHaveLength(1);
    expect(s.engine.calls[0]!.tenant).toBe(TENANT);
    expect(s.engine.calls[0]!.fim).toMatchObject({ prefix: PREFIX, suffix: SUFFIX, language: "typescript" });
  }, 30_000);

  it("posts view and select events that land in the tenant's feedback store", async () => {
    expect(completionId).not.toBe("");
    const base = { completion_id: completionId, choice_index: 0, view_id: "view-1" };
    expect(await s.agent.call("postEvent", [{ ...base, type: "view" }])).toBe(true);
    expect(await s.agent.call("postEvent", [{ ...base, type: "select", elapsed: 1500 }])).toBe(true);
    const events = s.seen.filter((r) => r.path === "/v1/events");
    expect(events.map((r) => (r.body as { type: string }).type)).toEqual(["view", "select"]);
    expect(events.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);

    const stored = await s.feedback.store.events(TENANT, {});
    expect(stored.map((e) => `${e.completionId}:${e.type}`).sort()).toEqual([
      `${completionId}:accepted`,
      `${completionId}:shown`,
    ]);
    expect(await s.feedback.store.events("local", {})).toEqual([]);

    const http = await fetch(`${s.endpoint}/v1/feedback/metrics`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(http.status).toBe(200);
    expect(await http.json()).toMatchObject({
      tenant: TENANT,
      overall: { completions: 1, shown: 1, accepted: 1 },
    });
  }, 30_000);
});

describe("tabby-agent 1.5.0 with Ghostline telemetry off", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack("off");
  }, 30_000);
  afterAll(async () => s?.close(), 30_000);

  it("applies and persists the server's disable_client_side_telemetry", async () => {
    expect(await initialize(s)).toBe(true);
    const dataFile = join(s.home, ".tabby-client", "agent", "data.json");
    const stored = (): unknown => {
      try {
        return (JSON.parse(readFileSync(dataFile, "utf8")) as { serverConfig?: Record<string, unknown> })
          .serverConfig?.[s.endpoint];
      } catch {
        return undefined;
      }
    };
    await vi.waitFor(() => expect(stored()).toEqual({ anonymousUsageTracking: { disable: true } }), {
      timeout: 10_000,
      interval: 100,
    });
    expect(s.seen.some((r) => r.path === "/v1beta/server_setting")).toBe(true);
  }, 30_000);
});
