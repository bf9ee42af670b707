/**
 * The closed loop, end to end, on one machine, from one command (`npm run demo:loop`):
 *
 *   1. simulated developers type code with the shipped model serving them (phase 1, files of set A);
 *      they accept a suggestion when it matches what they are about to type, accept part of it when
 *      its start matches, dismiss it otherwise, and keep what they typed (retention);
 *   2. `exportDataset` turns that feedback into a scrubbed supervised FIM dataset;
 *   3. training/finetune.py fine-tunes the shipped target on it → a new versioned GGUF + card;
 *   4. the new version is registered and an A/B experiment (control = shipped, treatment = fine-tuned)
 *      starts; users are assigned by their hashed id;
 *   5. other simulated developers type DIFFERENT files (set B, never used for fine-tuning);
 *   6. the per-arm report (acceptance and retention with confidence intervals, z-test, latency
 *      percentiles, stopping rule) is printed and written to docs/loop-demo.md with a chart.
 *
 * Files: this repository's own TypeScript and Python sources (the shipped models never trained on
 * them), split A/B by a hash of the path. Everything runs in-process on the real llama.cpp engine.
 *
 *   npx tsx scripts/loop-demo.ts [--data-dir .data/loop-demo] [--users 12] [--per-file 10] [--steps 120] [--out docs/loop-demo.md]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ConfigSchema, type Config } from "../src/config/schema.js";
import { createLlamaCppEngine } from "../src/engines/llama-cpp/llama-cpp-engine.js";
import { createFeedbackService, type FeedbackServiceImpl } from "../src/feedback/service.js";
import { ModelRegistry } from "../src/registry/model-registry.js";
import { ModelPoolEngine } from "../src/registry/model-pool-engine.js";
import { createRequestManager } from "../src/requests/request-manager.js";
import type { ExperimentReport } from "../src/experiments/report.js";
import type { FeedbackEvent } from "@ghostline/protocol";

const { values: args } = parseArgs({
  options: {
    "data-dir": { type: "string", default: ".data/loop-demo" },
    users: { type: "string", default: "12" },
    "per-file": { type: "string", default: "12" },
    files: { type: "string", default: "24" },
    steps: { type: "string", default: "60" },
    out: { type: "string", default: "docs/loop-demo.md" },
    svg: { type: "string", default: "docs/img/loop-demo.svg" },
    threads: { type: "string", default: "2" },
  },
});

const ROOT = process.cwd();
const TENANT = "demo";
const EXPERIMENT = "finetune-loop";
const dataDir = args["data-dir"];

function progress(label: string, done: number, total: number): void {
  const w = 30;
  const fill = Math.round((done / Math.max(total, 1)) * w);
  process.stderr.write(`\r${label.padEnd(26)} [${"#".repeat(fill).padEnd(w, "-")}] ${done}/${total}`);
  if (done >= total) process.stderr.write("\n");
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|py)$/.test(name) && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") && statSync(p).size > 1500) out.push(p);
    }
  };
  for (const d of ["src", "training", "packages/client/src"]) walk(join(ROOT, d));
  return out.sort();
}

const hashOf = (s: string) => parseInt(createHash("sha256").update(s).digest("hex").slice(0, 8), 16);

/** Line positions where a developer would be typing a new line of code. */
function typingPoints(text: string, count: number, seed: number): { prefix: string; suffix: string; truth: string }[] {
  const lines = text.split("\n");
  const cands: number[] = [];
  lines.forEach((l, i) => {
    const c = l.trim();
    if (i > 3 && c.length >= 6 && c.length <= 100 && !/^(\/\/|#|\*|\/\*)/.test(c)) cands.push(i);
  });
  const pts: { prefix: string; suffix: string; truth: string }[] = [];
  for (let k = 0; k < count && cands.length; k++) {
    const i = cands[(hashOf(`${seed}:${k}`) >>> 0) % cands.length]!;
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    pts.push({
      prefix: lines.slice(0, i).join("\n") + "\n" + line.slice(0, indent),
      suffix: "\n" + lines.slice(i + 1).join("\n"),
      truth: line.slice(indent),
    });
  }
  return pts;
}

/** What the simulated developer does with a suggestion: accept / partial (word boundary) / dismiss. */
function decide(suggestion: string, truth: string): { kind: "accepted" | "partially_accepted" | "dismissed"; chars: number } {
  const s = suggestion.split("\n")[0]!.trimEnd();
  if (s.length > 0 && s === truth.trimEnd()) return { kind: "accepted", chars: s.length };
  let n = 0;
  while (n < s.length && n < truth.length && s[n] === truth[n]) n++;
  // accept whole words only
  while (n > 0 && /\w/.test(s[n - 1] ?? "") && /\w/.test(s[n] ?? "")) n--;
  if (n >= 3) return { kind: "partially_accepted", chars: n };
  return { kind: "dismissed", chars: 0 };
}

function configWith(experiments: boolean): Config {
  return ConfigSchema.parse({
    server: { dataDir },
    telemetry: { level: "code", salt: "loop-demo-salt" },
    requests: { defaultMaxTokens: 48, defaultDeadlineMs: 10_000 },
    engine: { threads: Number(args.threads), sequences: 2 },
    experiments: experiments
      ? [{ id: EXPERIMENT, arms: [{ name: "control", model: "shipped" }, { name: "finetuned", model: "ft1" }] }]
      : [],
  });
}

async function simulate(phase: string, config: Config, pool: ModelPoolEngine, feedback: FeedbackServiceImpl, files: string[], users: number) {
  const manager = createRequestManager({ engine: pool, config, feedback });
  const perFile = Number(args["per-file"]);
  const tasks = files.flatMap((f, fi) => typingPoints(readFileSync(f, "utf8"), perFile, fi).map((p) => ({ ...p, file: relative(ROOT, f), user: `dev-${(hashOf(f) + fi) % users}` })));
  const counts = { accepted: 0, partially_accepted: 0, dismissed: 0, empty: 0 };
  let done = 0;
  for (const t of tasks) {
    let final: { completionId: string; text: string } | undefined;
    for await (const ev of manager.complete(
      {
        tenant: TENANT,
        user: t.user,
        documentKey: `${t.user}:${t.file}`,
        fim: { prefix: t.prefix, suffix: t.suffix, language: t.file.endsWith(".py") ? "python" : "typescript", filepath: t.file },
        sampling: { temperature: 0, topP: 1, topK: 0 },
        stop: { maxTokens: 48, stop: [], mode: "line" },
        source: "native",
        arrivedAt: Date.now(),
      },
      {},
    )) {
      if (ev.type === "done") final = { completionId: ev.completionId, text: ev.text };
    }
    done++;
    progress(`${phase}: typing`, done, tasks.length);
    if (!final) continue;
    const ctx = { tenant: TENANT, user: t.user, telemetry: "code" as const };
    if (final.text.trim() === "") {
      counts.empty++;
      continue;
    }
    const d = decide(final.text, t.truth);
    counts[d.kind]++;
    const events: FeedbackEvent[] = [{ type: "shown", completion_id: final.completionId, visible_ms: 600 }];
    if (d.kind === "dismissed") events.push({ type: "dismissed", completion_id: final.completionId, kept_text: t.truth });
    else {
      events.push({ type: d.kind, completion_id: final.completionId, accepted_chars: d.chars, unit: d.kind === "accepted" ? "all" : "word", kept_text: t.truth });
      // the developer keeps typing the real line: what was accepted stays
      for (const s of [30, 120, 300, 600]) events.push({ type: "retention", completion_id: final.completionId, interval_s: s, similarity: 1, kept_text: t.truth });
    }
    await feedback.ingest(events, ctx);
  }
  await manager.close();
  return counts;
}

function svgReport(report: ExperimentReport): string {
  const W = 560, H = 300, pad = 50;
  const arms = report.arms;
  const bw = (W - 2 * pad) / (arms.length * 2 + 1);
  const y = (p: number) => H - pad - p * (H - 2 * pad);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Acceptance and 5-min retention per arm (95% CI)</text>`,
    `<line x1="${pad}" y1="${y(0)}" x2="${W - pad}" y2="${y(0)}" stroke="#333"/>`];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<text x="${pad - 6}" y="${y(t) + 4}" text-anchor="end">${t * 100}%</text><line x1="${pad}" x2="${W - pad}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
  arms.forEach((a, i) => {
    const x0 = pad + bw * (1 + i * 2);
    for (const [k, m, color] of [[0, a.acceptance, "#4a7bd0"], [1, a.retention, "#66b077"]] as const) {
      const x = x0 + (k * bw) / 2;
      parts.push(`<rect x="${x}" y="${y(m.p)}" width="${bw / 2 - 2}" height="${y(0) - y(m.p)}" fill="${color}"/>`);
      parts.push(`<line x1="${x + bw / 4}" x2="${x + bw / 4}" y1="${y(m.low)}" y2="${y(m.high)}" stroke="#000"/>`);
    }
    parts.push(`<text x="${x0 + bw / 2}" y="${H - pad + 16}" text-anchor="middle">${a.arm} (n=${a.completions})</text>`);
  });
  parts.push(`<rect x="${W - 170}" y="32" width="10" height="10" fill="#4a7bd0"/><text x="${W - 155}" y="41">acceptance</text>`);
  parts.push(`<rect x="${W - 90}" y="32" width="10" height="10" fill="#66b077"/><text x="${W - 75}" y="41">retention</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

async function main() {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const t0 = Date.now();
  const all = sourceFiles();
  const nFiles = Number(args.files);
  const setA = all.filter((f) => hashOf(relative(ROOT, f)) % 2 === 0).slice(0, nFiles);
  const setB = all.filter((f) => hashOf(relative(ROOT, f)) % 2 === 1).slice(0, nFiles);
  const registry = new ModelRegistry({ dataDir, shipped: { path: "models/ghostline-target.gguf", draftPath: "models/ghostline-draft.gguf", version: "shipped" } });
  const config1 = configWith(false);
  const factory = (entry: { path: string; draftPath?: string }) =>
    createLlamaCppEngine({
      modelPath: entry.path,
      draftPath: "models/ghostline-draft.gguf",
      threads: Number(args.threads),
      draftThreads: 1,
      sequences: 2,
      prefillChunk: 64,
      gpu: false,
      budgets: { prefixTokens: config1.requests.prefixTokens, suffixTokens: config1.requests.suffixTokens, extraTokens: config1.requests.extraTokens, prefixAlignLines: config1.requests.prefixAlignLines },
      speculative: { enabled: true, sources: ["client", "ngram", "draft-model"], maxK: 8 },
    });
  const pool = await ModelPoolEngine.create({ registry, factory, activeVersion: "shipped" });

  // phase 1: collect feedback with the shipped model
  const fb1 = await createFeedbackService({ config: config1, dataDir, purgeIntervalMs: 0 });
  const phase1 = await simulate("phase 1 (shipped, set A)", config1, pool, fb1, setA, Number(args.users));
  const ds = await fb1.exportDataset({ out: join(dataDir, "datasets", "sft.jsonl"), evalFraction: 0.1, tenant: TENANT });
  await fb1.close();
  console.log(`phase 1: ${JSON.stringify(phase1)}; dataset: ${ds.sft.train} train / ${ds.sft.eval} eval examples, ${ds.pairs.train} preference pairs`);

  // fine-tune → register
  const ftPath = join(dataDir, "models", "ghostline-target-ft1.gguf");
  mkdirSync(join(dataDir, "models"), { recursive: true });
  const ftArgs = ["training/finetune.py", "--base", "models/ghostline-target.gguf", "--data", ds.files.train, "--out", ftPath, "--version", "ft1", "--steps", args.steps, "--threads", args.threads];
  if (ds.sft.eval > 0) ftArgs.push("--eval", ds.files.eval);
  const card = JSON.parse(execFileSync("/usr/bin/python3", ftArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!);
  registry.register({ version: "ft1", path: ftPath, name: "ghostline-target-ft1", card });
  console.log(`fine-tuned: middle loss ${card.eval_middle_loss.before} → ${card.eval_middle_loss.after} on ${card.eval_middle_loss.examples} held-out examples`);

  // phase 2: A/B experiment on other files
  const config2 = configWith(true);
  const fb2 = await createFeedbackService({ config: config2, dataDir, purgeIntervalMs: 0 });
  await pool.load("ft1");
  const phase2 = await simulate("phase 2 (A/B, set B)", config2, pool, fb2, setB, Number(args.users) * 2);
  const report = await fb2.experimentReport(TENANT, EXPERIMENT, { arms: ["control", "finetuned"] });
  await fb2.close();
  await pool.close();

  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const rows = report.arms.map((a) => `| ${a.arm} | ${a.completions} | ${pct(a.acceptance.p)} [${pct(a.acceptance.low)}, ${pct(a.acceptance.high)}] | ${pct(a.retention.p)} | ${a.latencyMs.p50.estimate.toFixed(0)} ms | ${a.vsControl ? a.vsControl.acceptance.pValue.toFixed(3) : "control"} |`);
  writeFileSync(args.svg, svgReport(report));
  const md = [
    "# The closed loop: feedback → dataset → fine-tune → A/B experiment",
    "",
    `Generated by \`npm run demo:loop\` (scripts/loop-demo.ts) on ${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - t0) / 1000)} s end to end.`,
    "Simulated developers type this repository's own sources (which the shipped models never saw):",
    `phase 1 on ${setA.length} files (set A) with the shipped model, phase 2 on ${setB.length} different files (set B) split between the arms by hashed user id.`,
    "A developer accepts a suggestion when it equals the line they are about to type, accepts its first whole words when they match, and dismisses it otherwise.",
    "",
    `1. Phase 1 outcomes: ${JSON.stringify(phase1)}`,
    `2. Dataset: ${ds.sft.train} train / ${ds.sft.eval} eval supervised examples, ${ds.pairs.train + ds.pairs.eval} preference pairs (scrubbed, deduplicated).`,
    `3. Fine-tune: ${card.training.steps} steps in ${card.training.seconds} s; middle loss on the eval split ${card.eval_middle_loss.before} → ${card.eval_middle_loss.after}.`,
    `4. Registered as version \`ft1\`; experiment \`${EXPERIMENT}\`: control = shipped, finetuned = ft1.`,
    `5. Phase 2 outcomes: ${JSON.stringify(phase2)}`,
    "",
    "| arm | completions | acceptance (95% CI) | retention 5 min | p50 latency | p vs control |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    `Stopping rule: ${report.stopping.status} (needs ${report.stopping.requiredPerArm} shown per arm to detect ±${report.stopping.mde * 100} points; smallest arm has ${report.stopping.minArmShown}).`,
    "",
    `![per-arm acceptance](${relative("docs", args.svg)})`,
    "",
  ].join("\n");
  writeFileSync(args.out, md);
  console.log(md);
}

await main();
