import { describe, expect, it } from "vitest";
import { ClientMessage, parseHotMessage } from "@ghostline/protocol";
import { mulberry32 } from "../../src/core/random.js";

/** Deterministic integers in [0, n) so a failure reproduces. */
function rng(seed: number): (n: number) => number {
  const f = mulberry32(seed);
  return (n) => Math.floor(f() * n);
}

const pos = { line: 3, character: 7 };
const CHANGE = { type: "change", uri: "file:///a.ts", version: 4, changes: [{ range: { start: pos, end: pos }, text: "x" }] };
const COMPLETE = { type: "complete", id: "k1", uri: "file:///a.ts", version: 4, position: pos, max_tokens: 24 };

/** Values of every kind, valid and not, for any field. */
const VALUES: unknown[] = [
  0, 1, -1, 1.5, 2, 3, 512, 513, 1000, 1001, 60_000, 60_001, 2 ** 53, -(2 ** 53), 1e-9, Number.MAX_SAFE_INTEGER,
  "", "a", "x".repeat(64), "x".repeat(65), "x".repeat(129), "x".repeat(201), "line", "block", "none", "word",
  null, true, false, [], [1], {}, pos, { line: -1, character: 0 }, { line: 1 }, { line: 1, character: 2, extra: 1 },
  { start: pos, end: pos }, { start: pos }, [{ text: "a" }], [{ range: null, text: "a" }], [{ range: { start: pos, end: pos }, text: 1 }],
  [{ text: "a", extra: 1 }], [{ range: { start: pos }, text: "a" }], [{ range: { start: pos, end: { line: 1 } }, text: "a" }], { enabled: true }, ["stop"], [{ filepath: "b.ts", text: "x" }],
];
const KEYS = [
  "type", "id", "uri", "version", "position", "changes", "prefix", "suffix", "language", "filepath", "max_tokens", "temperature",
  "top_p", "top_k", "seed", "mode", "client_draft", "deadline_ms", "model", "stop", "speculative", "extra", "bogus", "range", "text",
];

function mutate(base: Record<string, unknown>, r: (n: number) => number): Record<string, unknown> {
  const m: Record<string, unknown> = structuredClone(base);
  const edits = 1 + r(3);
  for (let e = 0; e < edits; e++) {
    const key = KEYS[r(KEYS.length)]!;
    const what = r(4);
    if (what === 0) delete m[key];
    else m[key] = structuredClone(VALUES[r(VALUES.length)]);
  }
  return m;
}

describe("keystroke message fast path", () => {
  it("takes the usual keystroke messages (else it would be useless)", () => {
    expect(parseHotMessage(CHANGE)).toEqual(ClientMessage.parse(CHANGE));
    expect(parseHotMessage(COMPLETE)).toEqual(ClientMessage.parse(COMPLETE));
    const full = { ...COMPLETE, prefix: "a", suffix: "b", language: "ts", filepath: "a.ts", temperature: 0.2, top_p: 0.9, top_k: 40, seed: 3, mode: "line", client_draft: "x", deadline_ms: 500, model: "m" };
    expect(parseHotMessage(full)).toEqual(ClientMessage.parse(full));
    expect(parseHotMessage({ type: "change", uri: "u", version: 0, changes: [{ text: "whole" }] })).toBeDefined();
  });

  it("never accepts what the schema rejects, and returns what the schema returns (20,000 random messages)", () => {
    const r = rng(42);
    let accepted = 0;
    let rejectedBySchema = 0;
    for (let i = 0; i < 20_000; i++) {
      const msg = mutate(r(2) === 0 ? CHANGE : COMPLETE, r);
      const fast = parseHotMessage(msg);
      const schema = ClientMessage.safeParse(msg);
      if (!schema.success) rejectedBySchema++;
      if (fast === undefined) continue;
      accepted++;
      expect(schema.success, JSON.stringify(msg)).toBe(true);
      expect(fast, JSON.stringify(msg)).toEqual(schema.data);
    }
    // the random messages exercise both sides of the contract
    expect(accepted).toBeGreaterThan(1_000);
    expect(rejectedBySchema).toBeGreaterThan(1_000);
  });

  it("leaves every other message type to the schema", () => {
    for (const m of [{ type: "hello" }, { type: "ping" }, { type: "cancel", id: "k" }, { type: "open", document: { uri: "u", version: 0, text: "" } }, null, "change", [CHANGE]])
      expect(parseHotMessage(m)).toBeUndefined();
  });
});
