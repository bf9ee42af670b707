/**
 * The HTTP path without the engine: time from sending a POST /v1/completions to its first SSE
 * text for requests the server answers from an earlier completion (the completion cache or
 * typing-through), on the shipped models in this process. For each of `--positions` cursor
 * positions of the typing traces it requests a completion (not measured; waited for), then types
 * up to 6 of its characters one by one, `--gap-ms` apart, each request aborting the previous
 * response, as an IDE client does; a `node:http` keep-alive client (llama.vscode's kind).
 * Reports p50 / p90 of those requests and the server's share (its `Server-Timing` header:
 * route handler → first event) against the rest (client, transport, HTTP parsing, the write).
 * It measures the edge and the request manager, so compare code versions on one machine:
 * run it in both checkouts, alternating.
 *
 *   npx tsx bench/http-reuse.ts [--trace-file .tmp/traces.json] [--positions 40] [--gap-ms 30]
 */
import http from "node:http";
import os from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLocalHost, pct } from "./trace-host.js";
import { generateTraces, listSources, type TypingTrace } from "./trace-generator.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    "trace-file": { type: "string" },
    positions: { type: "string", default: "40" },
    "gap-ms": { type: "string", default: "30" },
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs `body`; `onFirst(ms, serverMs)` at the first chunk with text; resolves with the whole stream. */
function post(url: string, body: string, onFirst: (ms: number, serverMs: number) => void): { req: http.ClientRequest; done: Promise<string> } {
  const t0 = performance.now();
  let req!: http.ClientRequest;
  const done = new Promise<string>((resolve) => {
    req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const serverMs = Number(/first-event;dur=([\d.]+)/.exec(String(res.headers["server-timing"] ?? ""))?.[1] ?? NaN);
      let got = false;
      let all = "";
      res.on("data", (c: Buffer) => {
        const s = c.toString();
        all += s;
        if (!got && /"text":"[^"]/.test(s)) {
          got = true;
          onFirst(performance.now() - t0, serverMs);
        }
      });
      for (const ev of ["end", "error", "aborted"]) res.on(ev, () => resolve(all));
    });
    req.on("error", () => resolve(""));
    req.end(body);
  });
  return { req, done };
}

const traces: TypingTrace[] = args["trace-file"] ? (JSON.parse(readFileSync(args["trace-file"], "utf8")) as TypingTrace[]) : generateTraces(ROOT, listSources(join(ROOT, "src")), 8, 4, 7);
const host = await createLocalHost({ fake: false, threads: 1, config: {} });
const url = `${await host.startRun()}/v1/completions`;
const latency: number[] = [];
const server: number[] = [];
const positions = Number(args.positions);
const gapMs = Number(args["gap-ms"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let k = 0; k < positions; k++) {
  const t = traces[k % traces.length]!;
  // the trace's cursor, then the start of the k-th next line
  let at = t.cursor;
  for (let j = 0; j < k / traces.length; j++) at = t.initialText.indexOf("\n", at + 1) + 1 || t.cursor;
  const prefix = t.initialText.slice(0, at);
  const suffix = t.initialText.slice(at);
  const body = (p: string) => JSON.stringify({ model: "ghostline", prompt: p, suffix, max_tokens: 24, temperature: 0, stream: true, user: "typist" });
  const all = await post(url, body(prefix), () => undefined).done;
  const text = [...all.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string).join("");
  let previous: http.ClientRequest | undefined;
  for (let i = 1; i <= Math.min(text.length, 6); i++) {
    await sleep(gapMs);
    previous?.destroy();
    previous = post(url, body(prefix + text.slice(0, i)), (ms, serverMs) => {
      latency.push(ms);
      server.push(serverMs);
    }).req;
    await sleep(10);
  }
  previous?.destroy();
  if ((k + 1) % 10 === 0 || k + 1 === positions) process.stderr.write(`\r[${"#".repeat(Math.round(((k + 1) / positions) * 30)).padEnd(30, ".")}] ${k + 1}/${positions} positions`);
}
process.stderr.write("\n");
await host.endRun();
const rest = latency.map((l, i) => l - server[i]!);
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), shipped models, ${latency.length} reused requests ${gapMs} ms apart`);
console.log(`first text p50 ${pct(latency, 0.5).toFixed(3)} ms, p90 ${pct(latency, 0.9).toFixed(3)} ms; server p50 ${pct(server, 0.5).toFixed(3)} ms, rest p50 ${pct(rest, 0.5).toFixed(3)} ms`);
await host.close();
process.exit(0);
