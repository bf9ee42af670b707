/**
 * Where the typing-trace benchmark's Ghostline runs: the engine, a RequestManager per run and the
 * real edge, behind one small interface, either in the benchmark's own process (the default) or in a
 * child process of its own (`--child-process`, as an IDE's server is: the replaying clients' frame
 * parsing and timers then do not share an event loop with the server they measure, as they do not
 * with llama-server, the peer). The child is this file, forked with an IPC channel. On the 2-core VM
 * the child process measured no faster (docs/performance.md), so the default stayed in-process.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Registry } from "prom-client";
import { llamaPromptBudgets } from "../src/cli/engine-factory.js";
import { ConfigSchema, type Config } from "../src/config/schema.js";
import type { Engine, EngineInfo, EngineRequest } from "../src/core/types.js";
import type { LifecycleCounters } from "../src/requests/request-manager.js";
import { createRequestManager } from "../src/requests/request-manager.js";
import { startBenchServer, type BenchServer } from "./trace-edge.js";
import type { TypingTrace } from "./trace-generator.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** What the host needs to build its engine and config (plain data: it crosses the IPC channel). */
export interface HostOptions {
  fake: boolean;
  threads: number;
  /** Target and draft GGUF (default: the shipped models), e.g. a grown stand-in (bench/grown-standin.py). */
  target?: string;
  draft?: string;
  /** Partial config, parsed with ConfigSchema on the host side. */
  config: Record<string, unknown>;
}

/** Counters of one run, read when it ends. */
export interface RunCounters {
  counters: LifecycleCounters;
  engineTokens: { evaluated: number; reused: number } | null;
}

/** The benchmark's view of the server under test. */
export interface BenchHost {
  readonly where: "in-process" | "child-process";
  readonly info: EngineInfo;
  readonly edge: string;
  /** Median time between tokens of plain greedy generations (one decode step), in ms. */
  measureStep(traces: TypingTrace[]): Promise<number>;
  /** Starts a fresh RequestManager and edge for one run; returns the base URL. */
  startRun(): Promise<string>;
  /** Ends the run: closes edge and manager, returns their counters. */
  endRun(): Promise<RunCounters>;
  close(): Promise<void>;
}

type EngineStats = { tokensEvaluated: number; tokensReused: number };
const engineStats = (e: Engine): EngineStats | undefined => (e as Engine & { stats?: () => EngineStats }).stats?.();

async function loadEngine(o: HostOptions, config: Config): Promise<Engine> {
  if (o.fake) {
    const { createFakeEngine } = await import("../src/engines/fake/fake-engine.js");
    return createFakeEngine({ tokenDelayMs: 5, sequences: 8 });
  }
  const { createLlamaCppEngine } = await import("../src/engines/llama-cpp/llama-cpp-engine.js");
  return createLlamaCppEngine({
    modelPath: o.target ?? join(ROOT, "models/ghostline-target.gguf"),
    draftPath: o.draft ?? join(ROOT, "models/ghostline-draft.gguf"),
    threads: o.threads,
    draftThreads: 1,
    sequences: 8,
    prefillChunk: config.engine.prefillChunk,
    gpu: false,
    budgets: llamaPromptBudgets(config),
    speculative: { enabled: config.speculative.enabled, sources: config.speculative.sources, maxK: config.speculative.maxK },
  });
}

/** Nearest-rank percentile (p in 0..1) of `xs`; NaN when empty. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * p) - 1))] ?? NaN) : NaN;
};

/** Median time between consecutive deltas of a non-speculative greedy generation (one decode step). */
async function measureDecodeStep(engine: Engine, traces: TypingTrace[]): Promise<number> {
  // Cursor positions: each trace's own cursor first, then line starts across its file. A small
  // model often ends a completion after a token or two, which gives no gap; so positions are
  // tried until 40 gaps are in (or 200 generations ran).
  const spots: { text: string; at: number }[] = traces.map((t) => ({ text: t.initialText, at: t.cursor }));
  for (let line = 1; spots.length < 400 && line < 400; line++)
    for (const t of traces) {
      let at = -1;
      for (let i = 0; i < line * 7 && at < t.initialText.length; i++) at = t.initialText.indexOf("\n", at + 1);
      if (at > 0 && at < t.initialText.length - 1) spots.push({ text: t.initialText, at: at + 1 });
    }
  const gaps: number[] = [];
  for (let rep = 0; rep < spots.length && rep < 200 && (rep < 8 || gaps.length < 40); rep++) {
    const { text, at } = spots[rep]!;
    const req: EngineRequest = {
      tenant: "bench-calibration",
      affinityKey: `cal${rep % 8}`,
      fim: { prefix: text.slice(0, at), suffix: text.slice(at) },
      sampling: { temperature: 0, topP: 1, topK: 0 },
      stop: { maxTokens: 48, stop: [], mode: "none" },
      speculative: { enabled: false },
    };
    let last: number | undefined;
    for await (const ev of engine.complete(req, {})) {
      if (ev.type !== "delta") break;
      const now = performance.now();
      if (last !== undefined) gaps.push((now - last) / Math.max(1, ev.tokens));
      last = now;
    }
  }
  if (gaps.length === 0) throw new Error("decode step: no generation of two or more tokens in 200 tries");
  return pct(gaps, 0.5);
}

/** Ghostline in this process. */
export async function createLocalHost(o: HostOptions): Promise<BenchHost & { config: Config }> {
  const config = ConfigSchema.parse(o.config);
  const engine = await loadEngine(o, config);
  let run: { server: BenchServer; manager: ReturnType<typeof createRequestManager>; e0: EngineStats | undefined } | undefined;
  let edge = "?";
  return {
    where: "in-process",
    config,
    info: engine.info,
    get edge() {
      return edge;
    },
    measureStep: (traces) => measureDecodeStep(engine, traces),
    async startRun() {
      if (run) throw new Error("a run is already going");
      const registry = new Registry();
      const manager = createRequestManager({ engine, config, metrics: registry });
      const server = await startBenchServer({ config, engine, manager, registry });
      edge = server.kind;
      run = { server, manager, e0: engineStats(engine) };
      return server.url;
    },
    async endRun() {
      if (!run) throw new Error("no run is going");
      const { server, manager, e0 } = run;
      run = undefined;
      const counters = manager.counters();
      const e1 = engineStats(engine);
      await server.close();
      await manager.close();
      return { counters, engineTokens: e0 && e1 ? { evaluated: e1.tokensEvaluated - e0.tokensEvaluated, reused: e1.tokensReused - e0.tokensReused } : null };
    },
    close: () => engine.close(),
  };
}

type Call = { id: number; op: "measureStep"; traces: TypingTrace[] } | { id: number; op: "startRun" | "endRun" | "close" };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Ghostline in a child process (this file, forked), driven over IPC. */
export async function createChildHost(o: HostOptions): Promise<BenchHost> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ["--bench-host"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  child.on("message", (m: Reply | { ready: EngineInfo; edge?: string } | { failed: string }) => {
    if ("ready" in m || "failed" in m) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(`bench host: ${m.error}`));
  });
  child.on("exit", (code, sig) => {
    exited = new Error(`bench host exited (${code ?? sig})`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  const call = <T>(c: Omit<Call, "id"> & { traces?: TypingTrace[] }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...c, id });
    });
  const info = await new Promise<EngineInfo>((resolve, reject) => {
    child.once("message", (m: { ready?: EngineInfo; failed?: string }) => (m.ready ? resolve(m.ready) : reject(new Error(`bench host: ${m.failed ?? "unexpected message"}`))));
    child.once("exit", (code) => reject(new Error(`bench host exited before it was ready (${code})`)));
    child.send({ options: o });
  });
  let edge = "?";
  return {
    where: "child-process",
    info,
    get edge() {
      return edge;
    },
    measureStep: (traces) => call<number>({ op: "measureStep", traces }),
    async startRun() {
      const r = await call<{ url: string; edge: string }>({ op: "startRun" });
      edge = r.edge;
      return r.url;
    },
    endRun: () => call<RunCounters>({ op: "endRun" }),
    async close() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      await call({ op: "close" }).catch(() => undefined);
      await gone;
    },
  };
}

/** The child side: waits for its options, loads the engine, then answers calls until `close`. */
async function serveHost(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  const o = await new Promise<HostOptions>((resolve) => process.once("message", (m: { options: HostOptions }) => resolve(m.options)));
  let host: Awaited<ReturnType<typeof createLocalHost>>;
  try {
    host = await createLocalHost(o);
  } catch (e) {
    send({ failed: String(e) });
    process.exit(1);
  }
  send({ ready: host.info });
  process.on("message", (c: Call) => {
    void (async () => {
      try {
        let value: unknown;
        if (c.op === "measureStep") value = await host.measureStep(c.traces);
        else if (c.op === "startRun") value = { url: await host.startRun(), edge: host.edge };
        else if (c.op === "endRun") value = await host.endRun();
        else {
          await host.close();
          send({ id: c.id, ok: true, value: null });
          process.disconnect?.();
          return;
        }
        send({ id: c.id, ok: true, value });
      } catch (e) {
        send({ id: c.id, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
  // the parent went away without `close`: do not linger
  process.on("disconnect", () => setTimeout(() => process.exit(0), 100).unref());
}

if (process.argv.includes("--bench-host") && process.send) void serveHost();
