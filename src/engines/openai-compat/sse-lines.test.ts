import { describe, expect, it } from "vitest";
import { sseData } from "./sse-lines.js";

function streamOf(parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(typeof p === "string" ? enc.encode(p) : p);
      c.close();
    },
  });
}

async function collect(parts: (string | Uint8Array)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const d of sseData(streamOf(parts))) out.push(d);
  return out;
}

describe("sseData", () => {
  it.each([
    ["one event per block", ["data: a\n\ndata: b\n\n"], ["a", "b"]],
    ["split anywhere", ["da", "ta: {\"x\"", ":1}\n", "\nda", "ta: [DONE]\n\n"], ['{"x":1}', "[DONE]"]],
    ["CRLF", ["data: a\r\n\r\ndata: b\r\n\r\n"], ["a", "b"]],
    ["comments and other fields skipped", [": ping\n\nevent: x\ndata: a\n\n"], ["a"]],
    ["multi-line data", ["data: a\ndata: b\n\n"], ["a\nb"]],
    ["no space after colon", ["data:a\n\n"], ["a"]],
    ["unterminated last event", ["data: a\n\ndata: b"], ["a", "b"]],
  ])("%s", async (_l, parts, want) => {
    expect(await collect(parts)).toEqual(want);
  });

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: é😀\n\n");
    expect(await collect([bytes.slice(0, 7), bytes.slice(7, 10), bytes.slice(10)])).toEqual(["é😀"]);
  });
});
