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
 * --abort-first: the position's completion is not waited for. Its first character is typed 2 ms
 * after its first text arrives, while it still streams: the client aborts it (which closes its
 * connection) and sends the next request on a new connection, which types through the running
 * generation. Those requests are reported apart (`after an abort`) from the later ones on a kept
 * connection; the trace replay's HTTP client meets this after every response still open at a
 * keystroke (a generation paused by multi-line pacing, or still decoding).
 *
 *   npx tsx bench/http-reuse.ts [--trace-file .tmp/traces.json] [--positions 40] [--gap-ms 30] [--abort-first]
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
    "abort-first": { type: "boolean", default: false },
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs `body`; `onFirst(ms, serverMs, newConnection, stream)` at the first chunk with text (`stream`:
 * what arrived so far); resolves with the whole stream (what arrived before an abort).
 */
function post(url: string, body: string, onFirst: (ms: number, serverMs: number, newConnection: boolean, stream: string) => void): { req: http.ClientRequest; done: Promise<string> } {
  const t0 = performance.now();
  let req!: http.ClientRequest;
  let all = "";
  const done = new Promise<string>((resolve) => {
    req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const serverMs = Number(/first-event;dur=([\d.]+)/.exec(String(res.headers["server-timing"] ?? ""))?.[1] ?? NaN);
      let got = false;
      res.on("data", (c: Buffer) => {
        const s = c.toString();
        all += s;
        if (!got && /"text":"[^"]/.test(s)) {
          got = true;
          onFirst(performance.now() - t0, serverMs, !req.reusedSocket, all);
        }
      });
      for (const ev of ["end", "error", "aborted"]) res.on(ev, () => resolve(all));
    });
    req.on("error", () => resolve(all));
    req.on("close", () => resolve(all));
    req.end(body);
  });
  return { req, done };
}

const traces: TypingTrace[] = args["trace-file"] ? (JSON.parse(readFileSync(args["trace-file"], "utf8")) as TypingTrace[]) : generateTraces(ROOT, listSources(join(ROOT, "src")), 8, 4, 7);
const host = await createLocalHost({ fake: false, threads: 1, config: {} });
const url = `${await host.startRun()}/v1/completions`;
const kept = { latency: [] as number[], server: [] as number[] };
const afterAbort = { latency: [] as number[], server: [] as number[] };
const positions = Number(args.positions);
const gapMs = Number(args["gap-ms"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (all: string) => [...all.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string).join("");
for (let k = 0; k < positions; k++) {
  const t = traces[k % traces.length]!;
  // the trace's cursor, then the start of the k-th next line
  let at = t.cursor;
  for (let j = 0; j < k / traces.length; j++) at = t.initialText.indexOf("\n", at + 1) + 1 || t.cursor;
  const prefix = t.initialText.slice(0, at);
  const suffix = t.initialText.slice(at);
  const body = (p: string) => JSON.stringify({ model: "ghostline", prompt: p, suffix, max_tokens: 24, temperature: 0, stream: true, user: "typist" });
  let text: string;
  let previous: http.ClientRequest | undefined;
  let typedFrom = 1;
  if (args["abort-first"]) {
    // the first character is typed while the completion still streams
    let a!: ReturnType<typeof post>;
    const seen = await new Promise<string>((resolve) => {
      a = post(url, body(prefix), (_ms, _serverMs, _fresh, stream) => resolve(texts(stream)));
      void a.done.then((all) => resolve(texts(all)));
    });
    // typed through only with text buffered past the typed character (else the server starts anew)
    const typed = [...seen].length >= 2 ? [...seen][0] : undefined;
    if (!typed) {
      await a.done;
      continue;
    }
    await sleep(2);
    a.req.destroy();
    const b = post(url, body(prefix + typed), (ms, serverMs, fresh) => {
      const into = fresh ? afterAbort : kept;
      into.latency.push(ms);
      into.server.push(serverMs);
    });
    text = typed + texts(await b.done);
    typedFrom = typed.length + 1;
  } else text = texts(await post(url, body(prefix), () => undefined).done);
  for (let i = typedFrom; i <= Math.min(text.length, 6); i++) {
    await sleep(gapMs);
    previous?.destroy();
    previous = post(url, body(prefix + text.slice(0, i)), (ms, serverMs) => {
      kept.latency.push(ms);
      kept.server.push(serverMs);
    }).req;
    await sleep(10);
  }
  previous?.destroy();
  if ((k + 1) % 10 === 0 || k + 1 === positions) process.stderr.write(`\r[${"#".repeat(Math.round(((k + 1) / positions) * 30)).padEnd(30, ".")}] ${k + 1}/${positions} positions`);
}
process.stderr.write("\n");
await host.endRun();
console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), shipped models, reused requests ${gapMs} ms apart`);
const report = (name: string, g: { latency: number[]; server: number[] }): void => {
  if (g.latency.length === 0) return;
  const rest = g.latency.map((l, i) => l - g.server[i]!);
  console.log(`${name} (${g.latency.length}): first text p50 ${pct(g.latency, 0.5).toFixed(3)} ms, p90 ${pct(g.latency, 0.9).toFixed(3)} ms; server p50 ${pct(g.server, 0.5).toFixed(3)} ms, rest p50 ${pct(rest, 0.5).toFixed(3)} ms`);
};
report("kept connection", kept);
report("after an abort, new connection", afterAbort);
await host.close();
process.exit(0);
