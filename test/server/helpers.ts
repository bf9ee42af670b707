/** Test wiring: a fake engine, the real RequestManager, a shared metrics registry and buildApp(). */
import { once } from "node:events";
import net from "node:net";
import { Registry } from "prom-client";
import type { FastifyInstance } from "fastify";
import { loadConfig, type DeepPartial } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { createFakeEngine, type FakeEngineOptions, type FakeEngine } from "../../src/engines/fake/fake-engine.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import type { FeedbackService } from "../../src/feedback/types.js";
import type { FeedbackEvent } from "@ghostline/protocol";
import { buildApp } from "../../src/server/app.js";

export interface TestServer {
  app: FastifyInstance;
  engine: FakeEngine;
  config: Config;
  registry: Registry;
  close(): Promise<void>;
}

/** A FeedbackService that records what it is given. */
export function recordingFeedback(): FeedbackService & { events: { events: FeedbackEvent[]; tenant: string }[] } {
  const events: { events: FeedbackEvent[]; tenant: string }[] = [];
  return {
    events,
    async recordCompletion() {},
    async ingest(evs, ctx) {
      events.push({ events: evs, tenant: ctx.tenant });
      return { accepted: evs.length };
    },
    async close() {},
  };
}

/** Builds an app on a fake engine. */
export async function makeServer(opts: { config?: DeepPartial<Config>; engine?: FakeEngineOptions; feedback?: FeedbackService } = {}): Promise<TestServer> {
  const config = loadConfig({ env: {}, overrides: opts.config ?? {} });
  const engine = createFakeEngine({ tokenDelayMs: 1, ...opts.engine });
  const registry = new Registry();
  const manager = createRequestManager({ engine, config, metrics: registry, coalesceMs: 0, log: () => {} });
  const app = await buildApp({ config, engine, manager, registry, ...(opts.feedback ? { feedback: opts.feedback } : {}) });
  return {
    app,
    engine,
    config,
    registry,
    async close() {
      await app.close();
      await manager.close();
      await engine.close();
    },
  };
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(body: string): string[] {
  return body
    .split("\n\n")
    .map((b) => b.trim())
    .filter((b) => b.startsWith("data: "))
    .map((b) => b.slice(6));
}

/** A connected TCP pair on 127.0.0.1: what `client` writes arrives on `conn`; `close()` ends both and the server. */
export async function loopbackPair(): Promise<{ client: net.Socket; conn: net.Socket; close: () => void }> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const [conn] = (await once(server, "connection")) as [net.Socket];
  await once(client, "connect");
  return {
    client,
    conn,
    close: () => {
      client.destroy();
      conn.destroy();
      server.close();
    },
  };
}
