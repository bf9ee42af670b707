/**
 * A minimal stand-in for the Ghostline WebSocket edge, used only while developing the clients and
 * as a fallback when the real app cannot be built: hello, document sync and a deterministic
 * streamed completion. The e2e and LSP tests prefer the real app (see start-app.ts).
 */
import Fastify, { type FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import type { ClientMessage, ServerMessage } from "@ghostline/protocol";
import { DocumentStore, offsetAt } from "../../packages/client/src/documents.js";
import { registerPlaygroundRoutes } from "../../src/server/routes/playground-routes.js";

/** Builds a stub app whose completions are `reply(prefix)`. */
export async function buildStubApp(reply: (prefix: string) => string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(websocket);
  await registerPlaygroundRoutes(app, {});
  let n = 0;
  app.get("/v1/stream", { websocket: true }, (socket) => {
    const docs = new DocumentStore();
    const send = (m: ServerMessage) => socket.send(JSON.stringify(m));
    socket.on("message", (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as ClientMessage;
      if (m.type === "hello") send({ type: "hello", server: "stub", version: "0", session: "s", settings: { debounceMs: 50, shownThresholdMs: 300, telemetry: "code" } });
      else if (m.type === "open") docs.open(m.document.uri, m.document.text, m.document.languageId, m.document.version);
      else if (m.type === "change") docs.change(m.uri, m.changes, m.version);
      else if (m.type === "feedback") send({ type: "ack", count: m.events.length });
      else if (m.type === "complete") {
        const text = m.uri && m.position ? docs.get(m.uri)!.text : (m.prefix ?? "");
        const prefix = m.uri && m.position ? text.slice(0, offsetAt(text, m.position)) : text;
        const out = reply(prefix);
        for (const piece of out.match(/.{1,4}/gs) ?? []) send({ type: "delta", id: m.id, text: piece });
        const usage = { prompt_tokens: 1, completion_tokens: out.length, total_tokens: 1 + out.length, prompt_tokens_reused: 0, prompt_tokens_evaluated: 1, timings: { queue_ms: 0, prefill_ms: 0, first_token_ms: 0, decode_ms: 0, total_ms: 0 } };
        send({ type: "done", id: m.id, completion_id: `cmp-${++n}`, text: out, stop_reason: "eos", model: "stub", usage });
      }
    });
  });
  return app;
}
