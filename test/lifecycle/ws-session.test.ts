import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import type { ServerMessage } from "@ghostline/protocol";
import { ConfigSchema } from "../../src/config/schema.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { handleSession } from "../../src/server/ws-session.js";
import type { FeedbackService } from "../../src/feedback/types.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(opts: { tokenDelayMs?: number; feedback?: FeedbackService } = {}) {
  const config = ConfigSchema.parse({});
  const engine = createFakeEngine({ script: (r) => `<${r.fim.prefix.slice(-3)}|${r.fim.suffix.slice(0, 3)}>`, tokenDelayMs: opts.tokenDelayMs ?? 1 });
  const manager = createRequestManager({ engine, config, ...(opts.feedback ? { feedback: opts.feedback } : {}) });
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", (socket) => handleSession(socket, { auth: { tenant: "t" }, services: { config, manager, ...(opts.feedback ? { feedback: opts.feedback } : {}) } }));
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const inbox: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d) => {
    inbox.push(JSON.parse((d as Buffer).toString("utf8")) as ServerMessage);
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((r) => ws.once("open", () => r()));
  cleanups.push(async () => {
    ws.close();
    await manager.close();
    await new Promise<void>((r) => wss.close(() => r()));
  });
  const send = (m: unknown) => ws.send(typeof m === "string" ? m : JSON.stringify(m));
  const until = async (pred: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
    for (;;) {
      const hit = inbox.find(pred);
      if (hit) return hit;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { ws, send, until, inbox, engine, manager };
}

describe("ws session", () => {
  it("hello, open, change, complete at a position", async () => {
    const s = await setup();
    s.send({ type: "hello", telemetry: "off" });
    const hello = await s.until((m) => m.type === "hello");
    expect(hello).toMatchObject({ type: "hello", settings: { debounceMs: 0, telemetry: "off" } });
    s.send({ type: "open", document: { uri: "file:///a.ts", languageId: "typescript", version: 1, text: "const a = 1;\n" } });
    s.send({ type: "change", uri: "file:///a.ts", version: 2, changes: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "let b = " }] });
    s.send({ type: "complete", id: "c1", uri: "file:///a.ts", position: { line: 1, character: 8 } });
    const done = await s.until((m) => m.type === "done" && m.id === "c1");
    expect(done).toMatchObject({ type: "done", text: "< = |>", stop_reason: "eos" });
    // The first delta carries the completion id of `done`; later deltas do not repeat it.
    const deltas = s.inbox.filter((m) => m.type === "delta" && m.id === "c1");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas[0]).toMatchObject({ completion_id: done.type === "done" ? done.completion_id : "?" });
    expect(deltas.slice(1).every((m) => m.type === "delta" && m.completion_id === undefined)).toBe(true);
    expect(s.engine.calls[0]?.fim).toMatchObject({ prefix: "const a = 1;\nlet b = ", suffix: "", language: "typescript" });
  });

  it("bad messages get typed errors and the session stays usable", async () => {
    const s = await setup();
    s.send("{not json");
    s.send({ type: "nope" });
    s.send({ type: "change", uri: "file:///missing.ts", version: 1, changes: [] });
    s.send({ type: "complete", id: "x" });
    s.send({ type: "ping" });
    await s.until((m) => m.type === "pong");
    await s.until((m) => m.type === "error" && m.id === "x");
    const codes = s.inbox.filter((m) => m.type === "error").map((m) => (m.type === "error" ? m.error.code : ""));
    expect(codes).toEqual(["invalid_json", "invalid_request", "not_found", "invalid_request"]);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("out-of-order versions are rejected with conflict", async () => {
    const s = await setup();
    s.send({ type: "open", document: { uri: "u", version: 5, text: "abc" } });
    s.send({ type: "change", uri: "u", version: 4, changes: [{ text: "zzz" }] });
    const err = await s.until((m) => m.type === "error");
    expect(err).toMatchObject({ error: { code: "conflict" } });
  });

  it("cancel ends the completion as cancelled; socket close cancels everything", async () => {
    const s = await setup({ tokenDelayMs: 20 });
    s.send({ type: "complete", id: "c1", prefix: "x".repeat(10), suffix: "", max_tokens: 200 });
    const first = await s.until((m) => m.type === "delta");
    s.send({ type: "cancel", id: "c1" });
    const done = await s.until((m) => m.type === "done");
    expect(done).toMatchObject({ stop_reason: "cancelled" });
    // The first delta named the completion, so feedback on a suggestion dismissed mid-stream can refer to it.
    expect(first).toMatchObject({ completion_id: done.type === "done" ? done.completion_id : "?" });
    s.send({ type: "complete", id: "c2", prefix: "yyy" });
    await s.until((m) => m.type === "delta" && m.id === "c2");
    s.ws.close();
    for (let i = 0; i < 100 && (s.manager.stats().inFlight > 0 || s.engine.active() > 0); i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.manager.stats().inFlight).toBe(0);
    expect(s.engine.active()).toBe(0);
  });

  it("acks feedback only after ingest resolves", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const feedback: FeedbackService = {
      recordCompletion: async () => {},
      ingest: async (events) => {
        await gate;
        return { accepted: events.length };
      },
      close: async () => {},
    };
    const s = await setup({ feedback });
    s.send({ type: "feedback", events: [{ type: "shown", completion_id: "cmpl-1" }] });
    s.send({ type: "ping" });
    await s.until((m) => m.type === "pong");
    expect(s.inbox.some((m) => m.type === "ack")).toBe(false);
    release();
    expect(await s.until((m) => m.type === "ack")).toEqual({ type: "ack", count: 1 });
  });
});

describe("ws session typing", () => {
  it("an edit that types through the streamed text keeps the completion; another edit cancels it", async () => {
    const s = await setup({ tokenDelayMs: 15 });
    s.send({ type: "open", document: { uri: "u", version: 1, text: "abc" } });
    s.send({ type: "complete", id: "c1", uri: "u", position: { line: 0, character: 3 }, max_tokens: 100 });
    await s.until((m) => m.type === "delta" && m.id === "c1");
    const first = s.inbox.find((m) => m.type === "delta") as { text: string };
    const ch = first.text[0]!;
    s.send({ type: "change", uri: "u", version: 2, changes: [{ range: { start: { line: 0, character: 3 }, end: { line: 0, character: 3 } }, text: ch }] });
    s.send({ type: "ping" });
    await s.until((m) => m.type === "pong");
    expect(s.inbox.some((m) => m.type === "done")).toBe(false);
    s.send({ type: "change", uri: "u", version: 3, changes: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "#" }] });
    const done = await s.until((m) => m.type === "done");
    expect(done).toMatchObject({ id: "c1", stop_reason: "cancelled" });
  });
});
