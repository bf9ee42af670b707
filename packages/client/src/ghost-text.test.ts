import { describe, expect, it } from "vitest";
import type { FeedbackEvent } from "@ghostline/protocol";
import { createEditorSession } from "./editor-session.js";
import { connectedClient, FAKE_USAGE, settle } from "./test-helpers.js";

const URI = "file:///demo.ts";

/** A client + editor session at "function add(a, b) {\n  █" with a fake server. */
function setup(telemetry: "off" | "metrics" | "code" = "code") {
  const env = connectedClient(telemetry, { debounceMs: 100, shownThresholdMs: 500 });
  const sock = () => env.transport.last;
  const session = createEditorSession({ client: env.client, uri: URI, text: "function add(a, b) {\n  ", clock: env.clock });
  const feedback = (): FeedbackEvent[] => {
    env.client.feedback.flush();
    return sock().ofType("feedback").flatMap((m) => m.events);
  };
  /** Types `chars` at the end of the document, one keystroke each. */
  const type = (chars: string, gapMs = 20) => {
    for (const ch of chars) {
      const t = session.text();
      const lines = t.split("\n");
      const pos = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
      session.change([{ range: { start: pos, end: pos }, text: ch }], t.length + 1);
      env.clock.advance(gapMs);
    }
  };
  const completes = () => sock().ofType("complete");
  const respond = async (text: string, completionId = "c1", idx = completes().length - 1) => {
    const id = completes()[idx]!.id;
    for (const piece of text.match(/.{1,3}/gs) ?? []) sock().push({ type: "delta", id, text: piece });
    sock().push({ type: "done", id, completion_id: completionId, text, stop_reason: "eos", model: "m", usage: FAKE_USAGE });
    await settle();
  };
  return { ...env, session, ghost: session.ghost, feedback, type, completes, respond, sock };
}

describe("GhostTextController", () => {
  it("debounces keystrokes into one request at the cursor, then streams and shows", async () => {
    const t = setup();
    t.type("re", 20);
    expect(t.completes()).toHaveLength(0);
    t.clock.advance(200);
    expect(t.completes()).toHaveLength(1);
    expect(t.completes()[0]).toMatchObject({ uri: URI, position: { line: 1, character: 4 } });
    expect(t.ghost.status).toBe("requesting");
    const id = t.completes()[0]!.id;
    t.sock().push({ type: "delta", id, text: "turn" });
    expect(t.ghost.status).toBe("streaming");
    expect(t.ghost.current()?.text).toBe("turn");
    await t.respond("turn a + b;");
    expect(t.ghost.status).toBe("shown");
    expect(t.ghost.current()).toMatchObject({ text: "turn a + b;", offset: 25, completionId: "c1" });
  });

  it("typing that matches trims the suggestion without a new request; a mismatch dismisses and re-requests", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn a + b;");
    t.type("etu", 20);
    expect(t.ghost.current()?.text).toBe("rn a + b;");
    expect(t.completes()).toHaveLength(1);
    t.type("X");
    expect(t.ghost.current()).toBeUndefined();
    expect(t.feedback().filter((e) => e.type === "dismissed")).toEqual([expect.objectContaining({ completion_id: "c1" })]);
    t.clock.advance(1000);
    expect(t.completes()).toHaveLength(2);
  });

  it("after typing through, the next request carries the rest of the suggestion as client_draft", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn a + b;");
    t.type("et");
    t.clock.advance(1000);
    expect(t.completes()).toHaveLength(2);
    expect(t.completes()[1]).toMatchObject({ client_draft: "urn a + b;", position: { line: 1, character: 5 } });
    expect(t.ghost.current()?.text).toBe("urn a + b;"); // still shown meanwhile
    await t.respond("urn a + b;\n}", "c2");
    expect(t.ghost.current()).toMatchObject({ text: "urn a + b;\n}", completionId: "c2" });
  });

  it("sends shown only after the suggestion was visible for shownThresholdMs", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn 1;");
    t.clock.advance(499);
    expect(t.feedback().filter((e) => e.type === "shown")).toHaveLength(0);
    t.clock.advance(1);
    expect(t.feedback().filter((e) => e.type === "shown")).toEqual([expect.objectContaining({ completion_id: "c1", visible_ms: 500 })]);
  });

  it("a suggestion shown and dismissed while still streaming reports both under the id of its first delta", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    const id = t.completes()[0]!.id;
    t.sock().push({ type: "delta", id, text: "eturn a", completion_id: "c5" });
    t.sock().push({ type: "delta", id, text: " + b" });
    expect(t.ghost.status).toBe("streaming");
    t.clock.advance(500); // visible for the threshold: shown, though no `done` has come
    expect(t.feedback().filter((e) => e.type === "shown")).toEqual([expect.objectContaining({ completion_id: "c5", visible_ms: 500 })]);
    t.type("X"); // a mismatch dismisses it and cancels the stream
    await settle();
    expect(t.sock().ofType("cancel")).toEqual([expect.objectContaining({ id })]);
    expect(t.feedback().filter((e) => e.type === "dismissed")).toEqual([expect.objectContaining({ completion_id: "c5" })]);
  });

  it("a word accepted while the suggestion streams is reported and its retention tracked before `done`", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    const id = t.completes()[0]!.id;
    t.sock().push({ type: "delta", id, text: "eturn sum(a, b);", completion_id: "c6" });
    const word = t.ghost.acceptNextWord();
    expect(word).toEqual({ offset: 24, text: "eturn" });
    t.session.change([{ range: { start: { line: 1, character: 3 }, end: { line: 1, character: 3 } }, text: word!.text }], 29);
    t.ghost.dismiss(); // Escape before the stream ends
    await settle();
    const ev = t.feedback();
    expect(ev.filter((e) => e.type === "partially_accepted")).toEqual([expect.objectContaining({ completion_id: "c6", unit: "word", accepted_chars: 5 })]);
    expect(ev.filter((e) => e.type === "dismissed")).toEqual([expect.objectContaining({ completion_id: "c6" })]);
    t.clock.advance(30_000);
    expect(t.feedback().filter((e) => e.type === "retention")).toEqual([expect.objectContaining({ completion_id: "c6", interval_s: 30, similarity: 1, kept_text: "eturn" })]);
  });

  it("a suggestion dismissed before the threshold never counts as shown", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn 1;");
    t.clock.advance(100);
    t.ghost.dismiss();
    t.clock.advance(5000);
    const types = t.feedback().map((e) => e.type);
    expect(types).toContain("dismissed");
    expect(types).not.toContain("shown");
  });

  it("partial accept by word and line, then accept all, with events and retention", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn sum(a, b);\n}\n");
    const word = t.ghost.acceptNextWord();
    expect(word).toEqual({ offset: 24, text: "eturn" });
    t.session.change([{ range: { start: { line: 1, character: 3 }, end: { line: 1, character: 3 } }, text: word!.text }], 29);
    expect(t.ghost.current()?.text).toBe(" sum(a, b);\n}\n");
    const line = t.ghost.acceptNextLine();
    expect(line?.text).toBe(" sum(a, b);\n");
    t.session.change([{ range: { start: { line: 1, character: 8 }, end: { line: 1, character: 8 } }, text: line!.text }], 29 + line!.text.length);
    const rest = t.ghost.acceptAll();
    expect(rest?.text).toBe("}\n");
    t.session.change([{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: "}\n" }], t.session.text().length + 2);
    expect(t.session.text()).toBe("function add(a, b) {\n  return sum(a, b);\n}\n");
    expect(t.completes()).toHaveLength(1);
    const ev = t.feedback();
    expect(ev.filter((e) => e.type === "partially_accepted").map((e) => [e.unit, e.accepted_chars])).toEqual([["word", 5], ["line", 12]]);
    expect(ev.filter((e) => e.type === "accepted")).toEqual([expect.objectContaining({ unit: "all", accepted_chars: 19 })]);
    // retention: the user rewrites part of the accepted code, then checks at 30 s and 2 min
    t.clock.advance(10_000);
    const doc = t.session.text();
    const at = doc.indexOf("sum");
    const toPos = (o: number) => ({ line: doc.slice(0, o).split("\n").length - 1, character: o - doc.lastIndexOf("\n", o - 1) - 1 });
    t.session.change([{ range: { start: toPos(at), end: toPos(at + 3) }, text: "add2" }], at + 4);
    t.clock.advance(20_000);
    let ret = t.feedback().filter((e) => e.type === "retention");
    expect(ret).toHaveLength(1);
    expect(ret[0]).toMatchObject({ completion_id: "c1", interval_s: 30 });
    expect(ret[0]!.similarity).toBeGreaterThan(0.7);
    expect(ret[0]!.similarity).toBeLessThan(1);
    expect(ret[0]!.kept_text).toContain("add2(a, b)");
    t.clock.advance(600_000);
    ret = t.feedback().filter((e) => e.type === "retention");
    expect(ret.map((e) => e.interval_s)).toEqual([30, 120, 300, 600]);
  });

  it("retention follows the insert point when text is added above it", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn 1;");
    const a = t.ghost.acceptAll()!;
    t.session.change([{ range: { start: { line: 1, character: 3 }, end: { line: 1, character: 3 } }, text: a.text }], 32);
    t.session.change([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "// a long header comment\n".repeat(10) }], 0);
    t.clock.advance(30_000);
    const ret = t.feedback().filter((e) => e.type === "retention");
    expect(ret[0]).toMatchObject({ similarity: 1, kept_text: "eturn 1;" });
  });

  it("telemetry off: accepting, dismissing and retention send nothing", async () => {
    const t = setup("off");
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn 1;");
    t.clock.advance(1000);
    const a = t.ghost.acceptAll()!;
    t.session.change([{ range: { start: { line: 1, character: 3 }, end: { line: 1, character: 3 } }, text: a.text }], 32);
    t.clock.advance(700_000);
    expect(t.sock().ofType("feedback")).toHaveLength(0);
    expect(t.session.text()).toContain("return 1;");
  });

  it("a newer keystroke cancels the stale in-flight request", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    const first = t.completes()[0]!.id;
    t.type("e");
    expect(t.sock().ofType("cancel").map((c) => c.id)).toContain(first);
    t.clock.advance(500);
    expect(t.completes()).toHaveLength(2);
  });

  it("suggestAt (pull style) requests immediately and resolves with the finished suggestion", async () => {
    const t = setup();
    const doc = t.session.text() + "r";
    t.client.changeDocument(URI, [{ range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, text: "r" }]);
    const p = t.ghost.suggestAt({ uri: URI, text: doc, cursor: doc.length });
    expect(t.completes()).toHaveLength(1);
    await t.respond("eturn 0;");
    expect((await p)?.text).toBe("eturn 0;");
    // typing through: answered from the shown suggestion, no new request
    const doc2 = doc + "et";
    const s = await t.ghost.suggestAt({ uri: URI, text: doc2, cursor: doc2.length });
    expect(s?.text).toBe("urn 0;");
    expect(t.completes()).toHaveLength(1);
  });

  it("notifyAccepted turns an editor-applied accept into an accepted event", async () => {
    const t = setup();
    t.type("r");
    t.clock.advance(500);
    await t.respond("eturn 1;");
    t.type("eturn 1;", 0); // the editor inserted the whole suggestion itself
    t.ghost.notifyAccepted("all", "eturn 1;");
    expect(t.feedback().filter((e) => e.type === "accepted")).toEqual([expect.objectContaining({ completion_id: "c1", accepted_chars: 8 })]);
  });
});
