/** mergeStreams: one stream or several, tagged by index; a consumer that stops early closes one stream. */
import { describe, expect, it } from "vitest";
import { mergeStreams } from "../../src/server/completion-stream.js";

async function* events(name: string, n: number, closed: string[]): AsyncGenerator<string> {
  try {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setImmediate(r));
      yield `${name}${i}`;
    }
  } finally {
    closed.push(name);
  }
}

describe("mergeStreams", () => {
  it("passes one stream through with index 0, in order", async () => {
    const closed: string[] = [];
    const out: [number, string][] = [];
    for await (const e of mergeStreams([events("a", 3, closed)])) out.push(e);
    expect(out).toEqual([[0, "a0"], [0, "a1"], [0, "a2"]]);
    expect(closed).toEqual(["a"]);
  });

  it("interleaves several streams, each event tagged with its stream's index", async () => {
    const closed: string[] = [];
    const out: [number, string][] = [];
    for await (const e of mergeStreams([events("a", 2, closed), events("b", 3, closed)])) out.push(e);
    expect(out.filter(([i]) => i === 0).map(([, v]) => v)).toEqual(["a0", "a1"]);
    expect(out.filter(([i]) => i === 1).map(([, v]) => v)).toEqual(["b0", "b1", "b2"]);
  });

  it("a consumer that stops after the first event closes the one stream (its cleanup runs)", async () => {
    const closed: string[] = [];
    for await (const e of mergeStreams([events("a", 5, closed)])) {
      expect(e).toEqual([0, "a0"]);
      break;
    }
    expect(closed).toEqual(["a"]);
  });
});
