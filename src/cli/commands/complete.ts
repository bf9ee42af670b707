/**
 * `ghostline complete FILE:LINE:COL` (1-based) or `ghostline complete --stdin` (text with a `█`
 * cursor marker, or `--cursor MARKER`): a one-shot FIM completion streamed to stdout with the
 * in-process engine (no server).
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../config/load.js";
import { GhostlineError, isGhostlineError } from "../../core/errors.js";
import type { EngineRequest } from "../../core/types.js";
import { createEngine } from "../engine-factory.js";
import { createProgressBar } from "../progress.js";
import { engineOverrides } from "./serve.js";

export const name = "complete";
export const summary = "One-shot FIM completion of FILE:LINE:COL or stdin with a █ marker, streamed to stdout";

const USAGE = `usage: ghostline complete FILE:LINE:COL [options]
       ghostline complete --stdin [--cursor MARKER] [options] < file-with-marker
  LINE and COL are 1-based. With --stdin the cursor is the first "█" (or MARKER).
  --max-tokens N      (default: config requests.defaultMaxTokens)
  --mode MODE         none | line | block (default none)
  --temperature T     (default 0 = greedy)
  --model PATH  --draft PATH  --threads N  --engine KIND  --upstream URL,...  --config FILE
  --no-speculative    disable speculative decoding
`;

/** Splits text at a line/column (1-based) into prefix and suffix. */
export function splitAt(text: string, line: number, col: number): { prefix: string; suffix: string } {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) throw new GhostlineError("invalid_request", `line ${line} is past the end of the file`);
    offset = nl + 1;
  }
  const end = text.indexOf("\n", offset);
  const lineLen = (end < 0 ? text.length : end) - offset;
  if (col < 1 || col > lineLen + 1) throw new GhostlineError("invalid_request", `column ${col} is outside line ${line} (1..${lineLen + 1})`);
  return { prefix: text.slice(0, offset + col - 1), suffix: text.slice(offset + col - 1) };
}

/** Parses FILE:LINE:COL (the file name may itself contain colons). */
export function parseLocation(loc: string): { file: string; line: number; col: number } {
  const m = /^(.*):(\d+):(\d+)$/.exec(loc);
  if (!m || !m[1]) throw new GhostlineError("invalid_request", `expected FILE:LINE:COL, got "${loc}"`);
  return { file: m[1], line: Number(m[2]), col: Number(m[3]) };
}

/** Runs one completion; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stdin: { type: "boolean" }, cursor: { type: "string" }, "max-tokens": { type: "string" }, mode: { type: "string" },
        temperature: { type: "string" }, model: { type: "string" }, draft: { type: "string" }, threads: { type: "string" },
        engine: { type: "string" }, upstream: { type: "string" }, config: { type: "string" }, "no-speculative": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || (!values.stdin && positionals.length !== 1)) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const config = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides: engineOverrides(values) });
    let prefix: string;
    let suffix: string;
    let filepath: string | undefined;
    if (values.stdin) {
      const text = readFileSync(0, "utf8");
      const marker = values.cursor ?? "█";
      const i = text.indexOf(marker);
      if (i < 0) throw new GhostlineError("invalid_request", `no cursor marker "${marker}" in stdin`);
      prefix = text.slice(0, i);
      suffix = text.slice(i + marker.length);
    } else {
      const loc = parseLocation(positionals[0]!);
      filepath = loc.file;
      ({ prefix, suffix } = splitAt(readFileSync(loc.file, "utf8"), loc.line, loc.col));
    }
    const mode = values.mode ?? "none";
    if (mode !== "none" && mode !== "line" && mode !== "block") throw new GhostlineError("invalid_request", `--mode must be none, line or block`);
    const maxTokens = values["max-tokens"] ? Number(values["max-tokens"]) : config.requests.defaultMaxTokens;
    const temperature = values.temperature ? Number(values.temperature) : 0;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new GhostlineError("invalid_request", "--max-tokens must be a positive integer");
    if (!Number.isFinite(temperature) || temperature < 0) throw new GhostlineError("invalid_request", "--temperature must be >= 0");
    const bar = createProgressBar();
    const engine = await createEngine(config, { onProgress: (f, l) => bar.update(f, l) }).finally(() => bar.done());
    const language = filepath ? extname(filepath).slice(1) || undefined : undefined;
    const request: EngineRequest = {
      tenant: config.auth.anonymousTenant,
      affinityKey: "cli",
      fim: { prefix, suffix, ...(filepath ? { filepath } : {}), ...(language ? { language } : {}) },
      sampling: { temperature, topP: 1, topK: 0 },
      stop: { maxTokens, stop: [], mode },
      speculative: { enabled: config.speculative.enabled && !values["no-speculative"], sources: [...config.speculative.sources], maxK: config.speculative.maxK },
    };
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      for await (const ev of engine.complete(request, { signal: controller.signal })) {
        if (ev.type === "delta") process.stdout.write(ev.text);
        else process.stderr.write(`\n[${ev.stopReason}: ${ev.usage.completionTokens} tokens, ${ev.usage.timings.totalMs.toFixed(0)} ms]\n`);
      }
    } finally {
      process.off("SIGINT", onSigint);
      await engine.close();
    }
    return 0;
  } catch (e) {
    process.stderr.write(`ghostline complete: ${isGhostlineError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
