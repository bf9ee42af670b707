/**
 * disconnectSignal: a client that goes away aborts the completion, after the event loop's next
 * poll phase (an HTTP client's next request, on a new connection, is read first), and only once.
 */
import { EventEmitter, once } from "node:events";
import { describe, expect, it } from "vitest";
import type { FastifyReply, FastifyRequest } from "fastify";
import { disconnectSignal } from "../../src/server/completion-stream.js";
import { loopbackPair } from "./helpers.js";

function fakes(): { request: FastifyRequest; reply: FastifyReply; raw: { req: EventEmitter; res: EventEmitter & { writableFinished: boolean }; socket: EventEmitter } } {
  const socket = new EventEmitter();
  const req = Object.assign(new EventEmitter(), { socket });
  const res = Object.assign(new EventEmitter(), { writableFinished: false });
  const request = { raw: req, url: "/v1/completions", log: { info: () => undefined } } as unknown as FastifyRequest;
  const reply = { raw: res } as unknown as FastifyReply;
  return { request, reply, raw: { req, res, socket } };
}
const immediate = () => new Promise<void>((r) => setImmediate(r));

describe("disconnectSignal", () => {
  it("aborts after the next poll phase, once, whichever close event comes", async () => {
    const { request, reply, raw } = fakes();
    const { signal } = disconnectSignal(request, reply);
    let aborts = 0;
    signal.addEventListener("abort", () => aborts++);
    raw.socket.emit("close");
    raw.res.emit("close");
    raw.req.emit("aborted");
    expect(signal.aborted).toBe(false);
    await immediate(); // this turn's check phase
    expect(signal.aborted).toBe(false);
    await immediate();
    expect(signal.aborted).toBe(true);
    expect(aborts).toBe(1);
    expect((signal.reason as Error).message).toBe("client disconnected");
  });

  it("does not abort a finished response, nor after dispose", async () => {
    const a = fakes();
    const sa = disconnectSignal(a.request, a.reply);
    a.raw.res.writableFinished = true;
    a.raw.socket.emit("close");
    const b = fakes();
    const sb = disconnectSignal(b.request, b.reply);
    sb.dispose();
    b.raw.socket.emit("close");
    for (let i = 0; i < 4; i++) await immediate();
    expect(sa.signal.aborted).toBe(false);
    expect(sb.signal.aborted).toBe(false);
  });

  it("a request whose bytes are already there when the client's old connection closes is read before the abort", async () => {
    const { client, conn, close } = await loopbackPair();
    const { request, reply, raw } = fakes();
    const { signal } = disconnectSignal(request, reply);
    let abortedWhenRead: boolean | undefined;
    conn.once("data", () => (abortedWhenRead = signal.aborted));
    client.write("POST /v1/completions"); // the next request, on another connection
    raw.socket.emit("close"); // the old connection's close, in the same turn
    await once(conn, "data");
    for (let i = 0; i < 3; i++) await immediate();
    expect(abortedWhenRead).toBe(false);
    expect(signal.aborted).toBe(true);
    close();
  });
});
