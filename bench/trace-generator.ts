/**
 * Typing-trace generator: turns source files into realistic typing traces (JSON). For each trace a
 * region of a few lines is cut out of a file; the trace starts from the file without the region
 * (cursor at the cut) and re-types it keystroke by keystroke: 80–200 ms apart with jitter, longer
 * pauses after line ends, auto-indent after newlines, occasional typos fixed with backspace.
 *
 *   npx tsx bench/trace-generator.ts [--files a.ts,b.ts] [--traces N] [--lines N] [--seed N] [--out bench/out/traces.json]
 */
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, extname, join, relative } from "node:path";
import { mulberry32 } from "../src/core/random.js";

/** One keystroke: insert `text` at `offset`, or delete `deleteCount` chars before `offset` (backspace). */
export interface TraceEvent {
  /** ms since the trace start */
  t: number;
  offset: number;
  text: string;
  deleteCount: number;
}

/** A typing trace. `cursor` is a UTF-16 offset into `initialText`. */
export interface TypingTrace {
  version: 1;
  source: string;
  uri: string;
  language: string;
  initialText: string;
  cursor: number;
  /** The region the typist types (the ground truth). */
  typed: string;
  events: TraceEvent[];
}

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  return mulberry32(seed);
}

const LANG: Record<string, string> = { ".ts": "typescript", ".js": "javascript", ".py": "python", ".md": "markdown" };

/** Builds one trace from `text`, typing `lines` lines starting at a random non-empty line. */
export function makeTrace(source: string, text: string, opts: { lines: number; rand: () => number }): TypingTrace | undefined {
  const { rand } = opts;
  const all = text.split("\n");
  const candidates = all.map((l, i) => i).filter((i) => (all[i] ?? "").trim().length > 3 && i + opts.lines <= all.length);
  if (candidates.length === 0) return undefined;
  const start = candidates[Math.floor(rand() * candidates.length)] ?? 0;
  const before = all.slice(0, start).join("\n") + (start > 0 ? "\n" : "");
  const region = all.slice(start, start + opts.lines).join("\n") + "\n";
  const after = all.slice(start + opts.lines).join("\n");
  const events: TraceEvent[] = [];
  let t = 0;
  let offset = before.length;
  const gap = () => 80 + rand() * 120 + (rand() < 0.1 ? rand() * 300 : 0);
  let i = 0;
  const indentOf = (s: string) => /^[ \t]*/.exec(s)?.[0] ?? "";
  // The leading indentation of the first line is already present (the editor's cursor sits after it).
  const firstIndent = indentOf(region);
  const initialText = before + firstIndent + after;
  offset += firstIndent.length;
  i = firstIndent.length;
  while (i < region.length) {
    const ch = region[i] ?? "";
    if (ch === "\n") {
      const indent = indentOf(region.slice(i + 1));
      t += gap();
      events.push({ t: Math.round(t), offset, text: "\n" + indent, deleteCount: 0 });
      offset += 1 + indent.length;
      i += 1 + indent.length;
      t += 300 + rand() * 900;
      continue;
    }
    if (rand() < 0.03 && /\w/.test(ch)) {
      t += gap();
      events.push({ t: Math.round(t), offset, text: String.fromCharCode(97 + Math.floor(rand() * 26)), deleteCount: 0 });
      t += 150 + rand() * 250;
      events.push({ t: Math.round(t), offset: offset + 1, text: "", deleteCount: 1 });
    }
    t += gap();
    events.push({ t: Math.round(t), offset, text: ch, deleteCount: 0 });
    offset += ch.length;
    i++;
  }
  return { version: 1, source, uri: `file:///${source}`, language: LANG[extname(source)] ?? "plaintext", initialText, cursor: before.length + firstIndent.length, typed: region.slice(firstIndent.length), events };
}

/** Lists .ts files under `dir` (skipping tests and node_modules). */
export function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) out.push(...listSources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(p);
  }
  return out.sort();
}

/** Generates `n` traces from `files` (deterministic for a seed). */
export function generateTraces(root: string, files: string[], n: number, lines: number, seed: number): TypingTrace[] {
  const rand = rng(seed);
  const traces: TypingTrace[] = [];
  for (let k = 0; traces.length < n && k < n * 10; k++) {
    const file = files[Math.floor(rand() * files.length)];
    if (!file) break;
    const tr = makeTrace(relative(root, file), readFileSync(file, "utf8"), { lines, rand });
    if (tr && tr.events.length >= 10) traces.push(tr);
  }
  return traces;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (n: string) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = new URL("..", import.meta.url).pathname;
  const files = opt("--files")?.split(",") ?? listSources(join(root, "src"));
  const traces = generateTraces(root, files, Number(opt("--traces") ?? 8), Number(opt("--lines") ?? 4), Number(opt("--seed") ?? 1));
  const out = opt("--out") ?? join(root, "bench/out/traces.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(traces, null, 1));
  console.log(`${traces.length} traces, ${traces.reduce((n, t) => n + t.events.length, 0)} keystrokes → ${out}`);
}
