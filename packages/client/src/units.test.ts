import { describe, expect, it } from "vitest";
import { AdaptiveDebounce } from "./debounce.js";
import { applyChanges, offsetAt, positionAt } from "./documents.js";
import { nextLineLength, nextWordLength } from "./partial-accept.js";
import { bestSubstringMatch, retainedSimilarity } from "./similarity.js";
import { streamUrl } from "./transport.js";

describe("AdaptiveDebounce", () => {
  it("lengthens during typing bursts and shortens when a paused request is served fast", () => {
    const d = new AdaptiveDebounce({ initialMs: 100 });
    let now = 0;
    d.keystroke(now);
    for (let i = 0; i < 10; i++) d.keystroke((now += 30));
    const afterBurst = d.delayMs;
    expect(afterBurst).toBeGreaterThan(100);
    expect(afterBurst).toBeLessThanOrEqual(400);
    for (let i = 0; i < 20; i++) d.served(5);
    expect(d.delayMs).toBeLessThan(afterBurst);
    expect(d.delayMs).toBe(25); // floor: initial / 4
  });
  it("with a base of 0, human typing requests at once and machine-speed bursts are held back", () => {
    const d = new AdaptiveDebounce({ initialMs: 0 });
    let now = 0;
    for (let i = 0; i < 20; i++) expect(d.keystroke((now += 80 + (i % 5) * 30))).toBe(0);
    for (let i = 0; i < 10; i++) d.keystroke((now += 15)); // key repeat / paste
    const held = d.delayMs;
    expect(held).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < 30; i++) d.keystroke((now += 150));
    expect(d.delayMs).toBeLessThan(held);
    expect(d.delayMs).toBe(0);
  });
  it("slow typing does not lengthen it", () => {
    const d = new AdaptiveDebounce({ initialMs: 100 });
    for (let t = 0; t < 5000; t += 500) d.keystroke(t);
    expect(d.delayMs).toBe(100);
  });
});

describe("documents", () => {
  const text = "ab\ncdé\n\nx";
  it.each([
    [{ line: 0, character: 0 }, 0],
    [{ line: 1, character: 2 }, 5],
    [{ line: 2, character: 0 }, 7],
    [{ line: 3, character: 1 }, 9],
    [{ line: 1, character: 99 }, 6],
  ])("offsetAt %o = %i", (pos, off) => expect(offsetAt(text, pos)).toBe(off));
  it("positionAt inverts offsetAt", () => {
    for (let o = 0; o <= text.length; o++) expect(offsetAt(text, positionAt(text, o))).toBe(o);
  });
  it("applies incremental and full changes in order", () => {
    const r = applyChanges("hello\nworld", [
      { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } }, text: "there" },
      { range: { start: { line: 0, character: 5 }, end: { line: 0, character: 5 } }, text: "," },
    ]);
    expect(r.text).toBe("hello,\nthere");
    expect(r.edits).toEqual([{ start: 6, removed: 5, inserted: "there" }, { start: 5, removed: 0, inserted: "," }]);
    expect(applyChanges("x", [{ text: "full" }]).text).toBe("full");
  });
});

describe("partial accept units", () => {
  it.each([
    ["foo(bar)", 3],
    ["  foo bar", 5],
    ["(a, b)", 1],
    ["\n  return", 1],
    ["", 0],
  ])("next word of %j is %i chars", (t, n) => expect(nextWordLength(t)).toBe(n));
  it.each([
    ["a + b;\nreturn", 7],
    ["\n  return x;\n}", 13],
    ["tail", 4],
  ])("next line of %j is %i chars", (t, n) => expect(nextLineLength(t)).toBe(n));
});

describe("similarity", () => {
  it("finds the best matching substring", () => {
    expect(bestSubstringMatch("return x;", "  foo();\n  return x;\n}")).toEqual({ distance: 0, start: 11, end: 20 });
  });
  it("scores edits by distance over the accepted length", () => {
    expect(retainedSimilarity("abcdefghij", "zzabcdeXghijzz").similarity).toBeCloseTo(0.9);
    expect(retainedSimilarity("abcdefghij", "").similarity).toBe(0);
  });
});

it("streamUrl maps http to ws and adds /v1/stream", () => {
  expect(streamUrl("http://127.0.0.1:8017")).toBe("ws://127.0.0.1:8017/v1/stream");
  expect(streamUrl("https://h/base/")).toBe("wss://h/base/v1/stream");
});
