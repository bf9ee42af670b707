import { describe, expect, it } from "vitest";
import { createIncrementalDetokenizer } from "./incremental-detokenizer.js";

// byte tokens: id = byte value; decoding uses TextDecoder like a byte-fallback vocabulary
const decode = (tokens: number[]) => new TextDecoder().decode(new Uint8Array(tokens));

describe("incremental detokenizer", () => {
  it("never splits a multi-byte UTF-8 character across deltas", () => {
    const bytes = [...new TextEncoder().encode("a€b😀")];
    const d = createIncrementalDetokenizer(decode);
    const deltas = bytes.map((b) => d.push(b));
    expect(deltas.join("") + d.flush()).toBe("a€b😀");
    for (const x of deltas) expect(x).not.toContain("\uFFFD");
    expect(deltas.filter((x) => x !== "")).toEqual(["a", "€", "b", "😀"]);
  });

  it("lets a genuinely invalid byte through after maxHold tokens and flushes the rest", () => {
    const d = createIncrementalDetokenizer(decode, 2);
    expect(d.push(0xe2)).toBe("");
    expect(d.push(0x41)).toBe("\uFFFDA");
    expect(d.push(0xe2)).toBe("");
    expect(d.flush()).toBe("\uFFFD");
  });

  it("passes the preceding tokens as context", () => {
    const seen: number[][] = [];
    const d = createIncrementalDetokenizer((t, last) => {
      seen.push(last ?? []);
      return decode(t);
    });
    d.push(0x61);
    d.push(0x62);
    expect(seen.at(-1)).toEqual([0x61]);
  });
});
