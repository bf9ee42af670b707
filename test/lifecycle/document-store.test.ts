import { describe, expect, it } from "vitest";
import { DocumentStore, applyChange, offsetAt } from "../../src/requests/document-store.js";
import { isGhostlineError } from "../../src/core/errors.js";
import { mulberry32 } from "../../src/core/random.js";

const r = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });

describe("document store edits", () => {
  it.each([
    { name: "insert at start", text: "abc", range: r(0, 0, 0, 0), insert: "X", want: "Xabc" },
    { name: "insert mid line", text: "abc\ndef", range: r(1, 1, 1, 1), insert: "X", want: "abc\ndXef" },
    { name: "replace across lines", text: "abc\ndef\nghi", range: r(0, 2, 2, 1), insert: "-", want: "ab-hi" },
    { name: "delete newline", text: "abc\ndef", range: r(0, 3, 1, 0), insert: "", want: "abcdef" },
    { name: "CRLF lines", text: "ab\r\ncd", range: r(1, 0, 1, 1), insert: "Z", want: "ab\r\nZd" },
    { name: "CR-only lines", text: "ab\rcd", range: r(1, 2, 1, 2), insert: "!", want: "ab\rcd!" },
    { name: "character past line end clamps", text: "ab\ncd", range: r(0, 99, 0, 99), insert: "#", want: "ab#\ncd" },
    { name: "line past the end clamps to end", text: "ab", range: r(5, 0, 5, 0), insert: "$", want: "ab$" },
    { name: "UTF-16 surrogate pair counts 2", text: "a😀b", range: r(0, 3, 0, 3), insert: "|", want: "a😀|b" },
    { name: "reversed range is normalised", text: "abcd", range: r(0, 3, 0, 1), insert: "", want: "ad" },
  ])("$name", ({ text, range, insert, want }) => {
    expect(applyChange(text, { range, text: insert })).toBe(want);
  });

  it("full replacement without range", () => {
    expect(applyChange("old", { text: "new" })).toBe("new");
  });

  it("offsetAt maps positions to UTF-16 offsets", () => {
    expect(offsetAt("ab\ncd\n", { line: 1, character: 1 })).toBe(4);
    expect(offsetAt("ab\ncd\n", { line: 2, character: 0 })).toBe(6);
  });

  it("applies sequential changes and versions; rejects out-of-order versions untouched", () => {
    const s = new DocumentStore();
    s.open({ uri: "u", languageId: "ts", version: 1, text: "let a = 1;\n" });
    s.change("u", 2, [
      { range: r(0, 4, 0, 5), text: "bb" },
      { range: r(1, 0, 1, 0), text: "x" },
    ]);
    expect(s.get("u").text).toBe("let bb = 1;\nx");
    let err: unknown;
    try {
      s.change("u", 2, [{ text: "zzz" }]);
    } catch (e) {
      err = e;
    }
    expect(isGhostlineError(err, "conflict")).toBe(true);
    expect(s.get("u")).toMatchObject({ version: 2, text: "let bb = 1;\nx" });
  });

  it("enforces size and count limits, not_found for unknown documents", () => {
    const s = new DocumentStore({ maxDocuments: 1, maxChars: 5 });
    expect(() => s.open({ uri: "big", languageId: "ts", version: 0, text: "123456" })).toThrow(expect.objectContaining({ code: "field_too_large" }));
    s.open({ uri: "a", languageId: "ts", version: 0, text: "12" });
    expect(() => s.open({ uri: "b", languageId: "ts", version: 0, text: "1" })).toThrow(expect.objectContaining({ code: "invalid_request" }));
    expect(() => s.change("a", 1, [{ text: "123456" }])).toThrow(expect.objectContaining({ code: "field_too_large" }));
    expect(s.get("a").text).toBe("12");
    expect(() => s.get("nope")).toThrow(expect.objectContaining({ code: "not_found" }));
  });

  it("splits prefix/suffix at a position and checks the version", () => {
    const s = new DocumentStore();
    s.open({ uri: "u", languageId: "ts", version: 3, text: "ab\ncd" });
    expect(s.split("u", { line: 1, character: 1 })).toMatchObject({ prefix: "ab\nc", suffix: "d" });
    expect(() => s.split("u", { line: 0, character: 0 }, 2)).toThrow(expect.objectContaining({ code: "conflict" }));
  });
});

describe("offsetAt against a character-by-character reference", () => {
  /** The straightforward definition: walk the text, counting \n, \r\n and \r as line breaks. */
  function reference(text: string, pos: { line: number; character: number }): number {
    let line = 0;
    let i = 0;
    while (line < pos.line) {
      let j = i;
      while (j < text.length && text[j] !== "\n" && text[j] !== "\r") j++;
      if (j >= text.length) return text.length;
      i = j + (text[j] === "\r" && text[j + 1] === "\n" ? 2 : 1);
      line++;
    }
    let end = i;
    while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
    return Math.min(i + pos.character, end);
  }

  it("agrees on random texts with mixed line breaks", () => {
    const f = mulberry32(7);
    const rand = (n: number): number => Math.floor(f() * n);
    const pieces = ["a", "bc", " ", "\n", "\r\n", "\r", "é", "\t", "xyz"];
    for (let t = 0; t < 300; t++) {
      let text = "";
      const len = rand(40);
      for (let k = 0; k < len; k++) text += pieces[rand(pieces.length)];
      for (let q = 0; q < 20; q++) {
        const pos = { line: rand(12), character: rand(8) };
        expect(offsetAt(text, pos), JSON.stringify({ text, pos })).toBe(reference(text, pos));
      }
    }
  });
});
