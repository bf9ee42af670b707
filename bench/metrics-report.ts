/**
 * How long the feedback metrics report (GET /v1/feedback/metrics, the dashboard) and an experiment's
 * report (GET /v1/experiments/:id/report: intervals, latency bootstraps) take to build as the number
 * of completions grows: synthetic completions (two languages, two arms; every one shown, one in four
 * accepted) through `outcomes` + `buildReport` / `reportFromOutcomes`, and once through a SQLite
 * store's queries. Reports are built on the server's event loop: their time is time no keystroke is
 * served.
 *
 *   npx tsx bench/metrics-report.ts [--quick] [--sizes 5000,20000,50000,200000] [--sqlite 50000] [--code-chars 4000]
 * --quick (CI smoke): 2,000 completions, and 2,000 through SQLite.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { reportFromOutcomes } from "../src/experiments/report.js";
import { buildReport, outcomes } from "../src/feedback/metrics.js";
import type { StoredCompletion, StoredEvent } from "../src/feedback/schemas.js";
import { openSqliteStore } from "../src/feedback/sqlite-store.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const quick = args.includes("--quick");
const sizes = opt("--sizes", quick ? "2000" : "5000,20000,50000,200000").split(",").map(Number);
const sqliteN = Number(opt("--sqlite", quick ? "2000" : "50000"));
// --code-chars N: the SQLite completions were stored at telemetry level "code" with an N-character
// prefix (and a tenth of it as suffix), as real prompts are; 0: level "metrics", no code
const codeChars = Number(opt("--code-chars", quick ? "400" : "4000"));

/** Starts timing the longest the event loop goes without running a 1 ms timer; the call stops it. */
function stallProbe(): () => number {
  let longest = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(probe);
    return Math.max(longest, performance.now() - last);
  };
}

function rows(n: number, code = 0): { cs: StoredCompletion[]; es: StoredEvent[] } {
  const prefix = "x".repeat(code);
  const suffix = "y".repeat(Math.floor(code / 10));
  const cs: StoredCompletion[] = [];
  const es: StoredEvent[] = [];
  const base = { v: 1 as const, tenant: "t", userHash: null, receivedAt: 1e12, clientTs: null };
  for (let i = 0; i < n; i++) {
    const completionId = `c${i}`;
    const withCode = code > 0 ? { level: "code" as const, text: "return a + b;", fim: { prefix, suffix } } : { level: "metrics" as const, text: null, fim: null };
    cs.push({ v: 1, completionId, tenant: "t", userHash: null, createdAt: 1e12 + i * 1000, model: "m", modelVersion: "1", language: i % 3 ? "typescript" : "python", source: "ws", experiment: "e", arm: i % 2 ? "a" : "b", stopReason: "eos", textChars: 30, latencyMs: 50 + (i % 100), firstTokenMs: 10, promptTokens: 100, completionTokens: 10, speculative: null, ...withCode });
    es.push({ ...base, id: `s${i}`, completionId, type: "shown", payload: { type: "shown", visibleMs: 600 } });
    if (i % 4 === 0) es.push({ ...base, id: `a${i}`, completionId, type: "accepted", payload: { type: "accepted", acceptedChars: 30, unit: "all", keptText: null } });
  }
  return { cs, es };
}

console.log(`${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, Node ${process.version}`);
console.log("completions  metrics report ms  experiment report ms  its longest event-loop stall ms");
for (const n of sizes) {
  const { cs, es } = rows(n);
  const t0 = performance.now();
  const outs = outcomes(cs, es);
  const report = buildReport("t", outs);
  const t1 = performance.now();
  const stall = stallProbe();
  const exp = await reportFromOutcomes("e", "t", outs);
  const t2 = performance.now();
  const longest = stall();
  if (report.overall.shown !== n || exp.arms.reduce((s, a) => s + a.completions, 0) !== n) throw new Error("report miscounted");
  console.log(`${String(n).padStart(11)} ${(t1 - t0).toFixed(0).padStart(18)} ${(t2 - t1).toFixed(0).padStart(21)} ${longest.toFixed(0).padStart(32)}`);
}
if (sqliteN > 0) {
  const dir = mkdtempSync(join(os.tmpdir(), "ghostline-metrics-bench-"));
  try {
    const store = openSqliteStore(dir);
    const { cs, es } = rows(sqliteN, codeChars);
    await store.insertCompletions(cs);
    await store.insertEvents(es);
    console.log(`SQLite, ${sqliteN} completions (${codeChars ? `level code, ${codeChars}-character prefixes` : "level metrics"}):`);
    // whole rows (what the report read before 2026-12-07), then without their code (omitCode, what it reads now)
    for (const omitCode of [false, true]) {
      const t0 = performance.now();
      const stall = stallProbe();
      const [c, e] = await Promise.all([store.completions("t", { omitCode }), store.events("t", {})]);
      const t1 = performance.now();
      const longest = stall(); // the queries read pages of 2,000 rows and give way in between
      buildReport("t", outcomes(c, e));
      console.log(`  ${omitCode ? "rows without code" : "whole rows       "}: queries ${(t1 - t0).toFixed(0)} ms (longest event-loop stall ${longest.toFixed(0)} ms), report ${(performance.now() - t1).toFixed(0)} ms`);
    }
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
