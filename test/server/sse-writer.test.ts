/**
 * SseWriter.afterEvent: after a stream's first event the route waits for the event loop's next
 * poll phase before writing the rest; after later events it does not wait.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { FastifyReply } from "fastify";
import { SseWriter, afterNextPoll } from "../../src/server/completion-stream.js";
import { loopbackPair } from "./helpers.js";

function fakeReply(): { reply: FastifyReply; written: string[] } {
  const written: string[] = [];
  const raw = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableEnded: false,
    writeHead: () => undefined,
    write: (s: string) => void written.push(s),
    end: function (this: { writableEnded: boolean }) {
      this.writableEnded = true;
    },
  });
  return { reply: { raw, hijack: () => undefined } as unknown as FastifyReply, written };
}
const immediate = () => new Promise<void>((r) => setImmediate(r));

describe("SseWriter.afterEvent", () => {
  it("waits for the next poll phase after the first event only", async () => {
    const { reply, written } = fakeReply();
    const sse = new SseWriter(reply, performance.now());
    sse.start();
    expect(sse.afterEvent()).toBeUndefined(); // nothing written yet
    sse.send({ text: "a" });
    let resumed = false;
    const wait = sse.afterEvent();
    expect(wait).toBeInstanceOf(Promise);
    void wait!.then(() => (resumed = true));
    await immediate(); // this turn's check phase
    expect(resumed).toBe(false);
    await immediate(); // after the next poll phase
    expect(resumed).toBe(true);
    sse.send({ text: "b" });
    expect(sse.afterEvent()).toBeUndefined();
    sse.send("[DONE]");
    sse.end();
    expect(written).toEqual(['data: {"text":"a"}\n\n', 'data: {"text":"b"}\n\n', "data: [DONE]\n\n"]);
    expect(sse.afterEvent()).toBeUndefined(); // ended
  });

  it("afterNextPoll resolves after I/O that is ready now has been read", async () => {
    const { client, conn, close } = await loopbackPair();
    const order: string[] = [];
    conn.once("data", () => order.push("request read"));
    setImmediate(() => order.push("check phase of this turn"));
    client.write("POST /v1/completions"); // another client's request, ready before the next poll
    await afterNextPoll().then(() => order.push("after next poll"));
    expect(order).toEqual(["check phase of this turn", "request read", "after next poll"]);
    close();
  });
});
