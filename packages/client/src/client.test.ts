import { describe, expect, it } from "vitest";
import { GhostlineClient } from "./client.js";
import { FakeClock } from "./clock.js";
import { FakeTransport } from "./fake-transport.js";
import { backoffDelay } from "./backoff.js";
import { connectedClient, FAKE_USAGE, settle } from "./test-helpers.js";

describe("GhostlineClient", () => {
  it("sends hello with the user's telemetry level and applies the server settings", () => {
    const { transport, client } = connectedClient("metrics", { debounceMs: 42, shownThresholdMs: 300 });
    expect(transport.last.sent[0]).toEqual({ type: "hello", client: "ghostline-client", telemetry: "metrics" });
    expect(client.settings.debounceMs).toBe(42);
  });

  it("syncs documents incrementally", () => {
    const { transport, client } = connectedClient();
    client.openDocument("file:///a.ts", "const a = 1;\n", "typescript");
    client.changeDocument("file:///a.ts", [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "let b" }]);
    expect(client.documents.get("file:///a.ts")?.text).toBe("const a = 1;\nlet b");
    const change = transport.last.ofType("change")[0];
    expect(change).toMatchObject({ uri: "file:///a.ts", version: 1, changes: [{ text: "let b" }] });
  });

  it("streams deltas and resolves with the done message", async () => {
    const { clock, transport, client } = connectedClient();
    const deltas: string[] = [];
    const p = client.complete({ prefix: "function f(", suffix: ")" }, { onDelta: (_d, soFar) => deltas.push(soFar) });
    const req = transport.last.ofType("complete")[0]!;
    expect(req).toMatchObject({ prefix: "function f(", suffix: ")" });
    clock.advance(20);
    transport.last.push({ type: "delta", id: req.id, text: "a" });
    transport.last.push({ type: "delta", id: req.id, text: ", b" });
    clock.advance(5);
    transport.last.push({ type: "done", id: req.id, completion_id: "c1", text: "a, b", stop_reason: "eos", model: "m", usage: FAKE_USAGE });
    const r = await p;
    expect(deltas).toEqual(["a", "a, b"]);
    expect(r).toMatchObject({ text: "a, b", completionId: "c1", stopReason: "eos", firstDeltaMs: 20, totalMs: 25 });
  });

  it("aborting sends cancel and resolves as cancelled with the text so far", async () => {
    const { transport, client } = connectedClient();
    const ac = new AbortController();
    const p = client.complete({ prefix: "x" }, { signal: ac.signal });
    const id = transport.last.ofType("complete")[0]!.id;
    transport.last.push({ type: "delta", id, text: "yz" });
    ac.abort();
    const r = await p;
    expect(r.stopReason).toBe("cancelled");
    expect(r.text).toBe("yz");
    expect(transport.last.ofType("cancel")).toEqual([{ type: "cancel", id }]);
  });

  it("a server error for the request is a result with its code", async () => {
    const { transport, client } = connectedClient();
    const p = client.complete({ prefix: "x" });
    const id = transport.last.ofType("complete")[0]!.id;
    transport.last.push({ type: "error", id, error: { code: "overloaded", message: "busy" } });
    expect((await p).error?.code).toBe("overloaded");
  });

  it("reconnects with backoff, replays hello and open documents, fails in-flight requests", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    const client = new GhostlineClient({ transport: transport.factory, clock, backoff: { baseMs: 100, random: () => 0 } });
    client.connect();
    transport.last.accept();
    client.openDocument("file:///b.py", "print(1)", "python");
    client.changeDocument("file:///b.py", [{ range: { start: { line: 0, character: 8 }, end: { line: 0, character: 8 } }, text: "\n" }]);
    const p = client.complete({ uri: "file:///b.py", position: { line: 1, character: 0 } });
    transport.last.drop();
    expect((await p).error?.code).toBe("connection_lost");
    expect(transport.sockets).toHaveLength(1);
    clock.advance(99);
    expect(transport.sockets).toHaveLength(1);
    clock.advance(1);
    expect(transport.sockets).toHaveLength(2);
    transport.last.drop(); // second attempt fails: next delay doubles
    clock.advance(199);
    expect(transport.sockets).toHaveLength(2);
    clock.advance(1);
    expect(transport.sockets).toHaveLength(3);
    transport.last.accept();
    const types = transport.last.sent.map((m) => m.type);
    expect(types).toEqual(["hello", "open"]);
    expect(transport.last.ofType("open")[0]!.document).toMatchObject({ uri: "file:///b.py", text: "print(1)\n", version: 1 });
    client.dispose();
    clock.advance(100_000);
    expect(transport.sockets).toHaveLength(3);
  });

  it("requests while disconnected resolve at once with a disconnected error", async () => {
    const transport = new FakeTransport();
    const client = new GhostlineClient({ transport: transport.factory, clock: new FakeClock() });
    client.connect();
    expect((await client.complete({ prefix: "a" })).error?.code).toBe("disconnected");
    await settle();
  });
});

describe("telemetry", () => {
  it("off: no feedback message ever leaves the machine", () => {
    const { clock, transport, client } = connectedClient("off");
    expect(client.reportFeedback({ type: "accepted", completion_id: "c1", accepted_chars: 3 })).toBe(false);
    clock.advance(10_000);
    client.feedback.flush();
    expect(transport.last.ofType("feedback")).toHaveLength(0);
  });

  it("metrics: events are batched and kept_text is stripped", () => {
    const { clock, transport, client } = connectedClient("metrics");
    client.reportFeedback({ type: "retention", completion_id: "c1", interval_s: 30, similarity: 1, kept_text: "secret()" });
    client.reportFeedback({ type: "shown", completion_id: "c1", visible_ms: 600 });
    expect(transport.last.ofType("feedback")).toHaveLength(0);
    clock.advance(1000);
    const batches = transport.last.ofType("feedback");
    expect(batches).toHaveLength(1);
    expect(batches[0]!.events).toHaveLength(2);
    expect(batches[0]!.events[0]!.kept_text).toBeUndefined();
  });

  it("the server's level can lower the user's level", () => {
    const { clock, transport, client } = connectedClient("code");
    transport.last.push({ type: "hello", server: "s", version: "0", session: "x", settings: { debounceMs: 10, shownThresholdMs: 10, telemetry: "off" } });
    client.reportFeedback({ type: "shown", completion_id: "c1" });
    clock.advance(5000);
    expect(transport.last.ofType("feedback")).toHaveLength(0);
  });

  it("keeps events while disconnected and sends them after reconnecting", () => {
    const { clock, transport, client } = connectedClient("metrics");
    transport.last.drop();
    client.reportFeedback({ type: "dismissed", completion_id: "c9" });
    clock.advance(1000);
    expect(client.feedback.pending).toBe(1);
    clock.advance(1000);
    transport.last.accept();
    expect(transport.last.ofType("feedback")[0]!.events[0]).toMatchObject({ type: "dismissed", completion_id: "c9" });
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt, caps at max and applies jitter", () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, { baseMs: 100, random: () => 0 }))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(20, { baseMs: 100, maxMs: 5000, random: () => 0 })).toBe(5000);
    expect(backoffDelay(0, { baseMs: 100, jitter: 0.5, random: () => 0.999 })).toBe(50);
  });
});
