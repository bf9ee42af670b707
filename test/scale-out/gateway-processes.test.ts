/**
 * Scale-out with real processes on loopback: two Ghostline "engine-mode" replicas
 * (`serve --engine fake`, slowed by GHOSTLINE_FAKE_TOKEN_DELAY_MS) behind a Ghostline gateway
 * process (`serve --upstream A/v1,B/v1`, the openai-compat engine). Which replica served a
 * request is read from each replica's own /metrics. Covers per-document affinity, failover after
 * SIGKILL, the typed error when every replica is dead, and cancellation reaching the replica.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll, metricValue, startGhostline, type GhostlineProcess } from "./fixtures/ghostline-process.js";

/** Per streamed piece on the replicas: slow enough that a stream is still running when the client aborts. */
const TOKEN_DELAY_MS = 250;
/** Every client call is bounded by this (a hang fails the test instead of blocking it). */
const CLIENT_TIMEOUT_MS = 20_000;

let a: GhostlineProcess;
let b: GhostlineProcess;
let gateway: GhostlineProcess;
let configDir: string;
let seq = 0;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), "ghostline-gw-config-"));
  const configFile = join(configDir, "gateway.json");
  // Connect / first-byte / between-chunks timeout of the gateway's upstream calls.
  writeFileSync(configFile, JSON.stringify({ engine: { upstreamTimeoutMs: 5_000 } }));
  const env = { GHOSTLINE_FAKE_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) };
  [a, b] = await Promise.all([startGhostline("replica-a", ["--engine", "fake"], { env }), startGhostline("replica-b", ["--engine", "fake"], { env })]);
  gateway = await startGhostline("gateway", ["--upstream", `${a.url}/v1,${b.url}/v1`, "--config", configFile]);
});

afterAll(async () => {
  await killAll();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** Completions a replica has finished (any stop reason) on its OpenAI route. */
async function served(r: GhostlineProcess): Promise<number> {
  return metricValue(await r.metrics(), "ghostline_completion_duration_seconds_count", { route: "openai" });
}

/** A unique request body for `doc` (a fresh prompt each time, so the gateway's cache never answers). */
function body(doc: string, extra: Record<string, unknown> = {}): string {
  seq++;
  return JSON.stringify({ prompt: `// ${doc} edit ${seq}\nfunction f${seq}() {\n  `, suffix: "\n}\n", filepath: doc, max_tokens: 1, temperature: 0, ...extra });
}

async function post(doc: string, extra: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${gateway.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(doc, extra),
    signal: signal ?? AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
}

/** Sends one completion for `doc` through the gateway; returns the replica whose counter moved (exactly one must). */
async function servedBy(doc: string, alive: GhostlineProcess[] = [a, b]): Promise<GhostlineProcess> {
  const before = await Promise.all(alive.map(served));
  const res = await post(doc);
  const json = (await res.json()) as { choices?: { text: string }[]; error?: unknown };
  expect(res.status, JSON.stringify(json)).toBe(200);
  expect(json.choices?.[0]?.text.length).toBeGreaterThan(0);
  const after = await Promise.all(alive.map(served));
  const moved = alive.filter((_, i) => after[i]! !== before[i]!);
  expect(moved.map((r) => r.name)).toHaveLength(1);
  expect(after[alive.indexOf(moved[0]!)]! - before[alive.indexOf(moved[0]!)]!).toBe(1);
  return moved[0]!;
}

/** Polls `probe` until it returns true (bounded: at most `tries` × `everyMs`). */
async function eventually(probe: () => Promise<boolean>, tries = 100, everyMs = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

const DOCS = Array.from({ length: 6 }, (_, i) => `src/module-${i}.ts`);

describe("gateway process over two engine-mode Ghostline replicas", () => {
  it("affinity: a document keeps hitting one replica; different documents use both", async () => {
    const holders = new Map<string, Set<string>>(DOCS.map((d) => [d, new Set<string>()]));
    for (let round = 0; round < 3; round++) {
      for (const doc of DOCS) holders.get(doc)!.add((await servedBy(doc)).name);
    }
    for (const [doc, names] of holders) expect([...names], doc).toHaveLength(1);
    const used = new Set([...holders.values()].map((s) => [...s][0]));
    expect([...used].sort()).toEqual(["replica-a", "replica-b"]);
  });

  it("cancellation: aborting a gateway stream mid-way cancels the generation on the replica", async () => {
    const doc = DOCS[0]!;
    const holder = await servedBy(doc);
    const other = holder === a ? b : a;
    const cancelledOn = async (r: GhostlineProcess) => metricValue(await r.metrics(), "ghostline_cancellations_total", { reason: "client_disconnect" });
    const [holderBefore, otherBefore, gatewayBefore] = await Promise.all([cancelledOn(holder), cancelledOn(other), cancelledOn(gateway)]);
    const servedBefore = await served(holder);

    const ctl = new AbortController();
    const guard = setTimeout(() => ctl.abort(new Error("client timeout")), CLIENT_TIMEOUT_MS);
    let firstText = "";
    try {
      const res = await post(doc, { stream: true, max_tokens: 200 }, ctl.signal);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = "";
      // Read until the first non-empty text delta arrives, then hang up mid-stream.
      for (let i = 0; i < 1_000 && !firstText; i++) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        for (const m of buf.matchAll(/^data: (\{.*\})$/gm)) {
          const chunk = JSON.parse(m[1]!) as { choices?: { text?: string; finish_reason?: string | null }[] };
          expect(chunk.choices?.[0]?.finish_reason ?? null).toBeNull(); // still streaming
          firstText ||= chunk.choices?.[0]?.text ?? "";
        }
      }
      ctl.abort(new Error("user typed on"));
    } finally {
      clearTimeout(guard);
    }
    expect(firstText.length).toBeGreaterThan(0);

    // The replica sees its client (the gateway) go away, cancels, and its engine stops.
    expect(await eventually(async () => (await cancelledOn(holder)) > holderBefore)).toBe(true);
    expect(await cancelledOn(holder)).toBe(holderBefore + 1);
    expect(await eventually(async () => metricValue(await holder.metrics(), "ghostline_in_flight") === 0)).toBe(true);
    expect(await served(holder)).toBe(servedBefore + 1);
    expect(await cancelledOn(other)).toBe(otherBefore);
    expect(await eventually(async () => (await cancelledOn(gateway)) > gatewayBefore)).toBe(true);
  });

  it("failover: SIGKILL the replica holding a document; the survivor serves it; both dead → upstream_unavailable", async () => {
    const doc = DOCS[1]!;
    const holder = await servedBy(doc);
    const survivor = holder === a ? b : a;
    await holder.kill("SIGKILL");
    expect(holder.proc.exitCode !== null || holder.proc.signalCode !== null).toBe(true);

    for (let i = 0; i < 3; i++) expect((await servedBy(doc, [survivor])).name).toBe(survivor.name);

    await survivor.kill("SIGKILL");
    for (const stream of [false, true]) {
      const res = await post(doc, { stream });
      const json = (await res.json()) as { error?: { code?: string } };
      expect(res.status).toBe(503);
      expect(json.error?.code).toBe("upstream_unavailable");
    }
    // The gateway itself is still up; its /health reports the upstreams as down.
    const health = await fetch(`${gateway.url}/health`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error?: { code?: string } }).error?.code).toBe("upstream_unavailable");
  });
});
