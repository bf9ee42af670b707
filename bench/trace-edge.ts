/**
 * The in-process server of the typing-trace benchmark: the real edge (`buildApp` from
 * src/server/app.ts) when it is available, otherwise a minimal edge over the same RequestManager
 * (node:http: POST /v1/completions as SSE with abort on disconnect; WS /v1/stream via handleSession).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { Registry } from "prom-client";
import type { Config } from "../src/config/schema.js";
import type { Engine } from "../src/core/types.js";
import type { RequestManager } from "../src/requests/types.js";
import { handleSession } from "../src/server/ws-session.js";

/** A running benchmark server. */
export interface BenchServer {
  url: string;
  kind: "buildApp" | "minimal-edge";
  close(): Promise<void>;
}

/** Starts the edge on 127.0.0.1 with an ephemeral port. */
export async function startBenchServer(services: { config: Config; engine: Engine; manager: RequestManager; registry?: Registry }): Promise<BenchServer> {
  try {
    const appModule: string = "../src/server/app.js";
    const mod = (await import(appModule)) as { buildApp?: (s: unknown) => Promise<unknown> };
    if (typeof mod.buildApp === "function") {
      const app = (await mod.buildApp({ ...services, logger: false })) as { listen(o: { port: number; host: string }): Promise<string>; close(): Promise<void> };
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return { url, kind: "buildApp", close: () => app.close() };
    }
  } catch (e) {
    if (process.env.GHOSTLINE_BENCH_DEBUG) console.error("buildApp unavailable:", e);
  }
  return startMinimalEdge(services);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function startMinimalEdge(s: { config: Config; manager: RequestManager }): Promise<BenchServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (req.method !== "POST" || req.url !== "/v1/completions") {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(await readBody(req)) as { prompt: string; suffix?: string; max_tokens?: number };
      const ac = new AbortController();
      res.on("close", () => ac.abort());
      res.writeHead(200, { "content-type": "text/event-stream" });
      try {
        const stream = s.manager.complete(
          {
            tenant: "bench",
            fim: { prefix: body.prompt, suffix: body.suffix ?? "" },
            sampling: { temperature: 0, topP: 1, topK: 0 },
            stop: { maxTokens: body.max_tokens ?? s.config.requests.defaultMaxTokens, stop: [], mode: "none" },
            source: "openai",
            arrivedAt: Date.now(),
          },
          { signal: ac.signal },
        );
        for await (const ev of stream) {
          if (ev.type === "delta") res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: ev.text }] })}\n\n`);
        }
        res.end("data: [DONE]\n\n");
      } catch (e) {
        res.end(`data: ${JSON.stringify({ error: String(e) })}\n\n`);
      }
    })();
  });
  const wss = new WebSocketServer({ server, path: "/v1/stream" });
  wss.on("connection", (socket) => handleSession(socket, { auth: { tenant: "bench" }, services: { config: s.config, manager: s.manager } }));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        kind: "minimal-edge",
        close: () =>
          new Promise<void>((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
