/**
 * Dataset export from stored feedback (level "code" rows only): supervised FIM examples
 * `{prefix, suffix, middle, language?}` (middle = the code the user kept) and preference pairs
 * `{prefix, suffix, chosen, rejected, language?}` (kept code vs a dismissed or overwritten
 * suggestion). Deduplicated, scrubbed again (idempotent), and split into train / eval files by a
 * hash of the context, so one context never lands in both.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { outcomes, type CompletionOutcome } from "./metrics.js";
import { scrub } from "./scrub.js";
import type { FeedbackStore } from "./store.js";

/** One supervised FIM example (the fine-tune format of training/finetune.py). */
export interface SftExample {
  prefix: string;
  suffix: string;
  middle: string;
  language?: string;
}

/** One preference pair. */
export interface PreferencePair {
  prefix: string;
  suffix: string;
  chosen: string;
  rejected: string;
  language?: string;
}

/** Export options. `out`: path of the SFT file, e.g. `data/sft.jsonl` (see `datasetPaths`). */
export interface DatasetExportOptions {
  out: string;
  /** Fraction of contexts in the eval split (default 0.1). */
  evalFraction?: number;
  /** Only this tenant (default: every tenant, each queried separately). */
  tenant?: string;
  since?: number;
  until?: number;
}

/** Counts and files written. */
export interface DatasetExportResult {
  files: { train: string; eval: string; pairsTrain: string; pairsEval: string };
  sft: { train: number; eval: number };
  pairs: { train: number; eval: number };
}

/** `x/sft.jsonl` → x/sft.train.jsonl, x/sft.eval.jsonl, x/sft.pairs.train.jsonl, x/sft.pairs.eval.jsonl. */
export function datasetPaths(out: string): DatasetExportResult["files"] {
  const base = out.replace(/\.jsonl$/i, "");
  return {
    train: `${base}.train.jsonl`,
    eval: `${base}.eval.jsonl`,
    pairsTrain: `${base}.pairs.train.jsonl`,
    pairsEval: `${base}.pairs.eval.jsonl`,
  };
}

const sha = (...parts: string[]): string => createHash("sha256").update(parts.join("\0")).digest("hex");

/** Deterministic split: true when the (prefix, suffix) context belongs to eval. */
export function isEval(prefix: string, suffix: string, evalFraction: number): boolean {
  return parseInt(sha("split", prefix, suffix).slice(0, 8), 16) / 0x100000000 < evalFraction;
}

/** The text the user ended with for an outcome, or null when unknown / not kept. */
function keptCode(
  o: CompletionOutcome,
  events: Map<
    string,
    { kept: string | null; lastRetentionPresent: boolean | null; dismissedKept: string | null }
  >,
): string | null {
  const info = events.get(o.c.completionId);
  if (!(o.accepted || o.partial) || o.c.text === null) return null;
  if (info?.lastRetentionPresent === false) return null;
  if (info?.kept !== null && info?.kept !== undefined) return info.kept;
  return o.accepted ? o.c.text : o.c.text.slice(0, o.acceptedChars);
}

/** Builds examples and pairs from outcomes (pure; used by the export and tests). */
export function buildExamples(
  outs: CompletionOutcome[],
  info: Map<
    string,
    { kept: string | null; lastRetentionPresent: boolean | null; dismissedKept: string | null }
  >,
): { sft: SftExample[]; pairs: PreferencePair[] } {
  const sft = new Map<string, SftExample>();
  const pairs = new Map<string, PreferencePair>();
  const keptByContext = new Map<string, string>();
  const lang = (o: CompletionOutcome): { language?: string } =>
    o.c.language ? { language: o.c.language } : {};
  const addPair = (o: CompletionOutcome, chosen: string, rejected: string): void => {
    if (!o.c.fim || chosen === rejected || chosen.trim() === "" || rejected.trim() === "") return;
    const p = {
      prefix: scrub(o.c.fim.prefix),
      suffix: scrub(o.c.fim.suffix),
      chosen: scrub(chosen),
      rejected: scrub(rejected),
      ...lang(o),
    };
    pairs.set(sha(p.prefix, p.suffix, p.chosen, p.rejected), p);
  };
  for (const o of outs) {
    if (!o.c.fim || o.c.text === null) continue;
    const i = info.get(o.c.completionId);
    const kept = keptCode(o, info) ?? i?.dismissedKept ?? null;
    if (kept === null || kept.trim() === "") continue;
    const ex = {
      prefix: scrub(o.c.fim.prefix),
      suffix: scrub(o.c.fim.suffix),
      middle: scrub(kept),
      ...lang(o),
    };
    sft.set(sha(ex.prefix, ex.suffix, ex.middle), ex);
    keptByContext.set(sha(o.c.fim.prefix, o.c.fim.suffix), kept);
    if (kept !== o.c.text) addPair(o, kept, o.c.text); // overwritten or replaced after dismissal
  }
  for (const o of outs) {
    if (!o.dismissed || o.accepted || o.partial || !o.c.fim || o.c.text === null) continue;
    const kept = keptByContext.get(sha(o.c.fim.prefix, o.c.fim.suffix));
    if (kept !== undefined) addPair(o, kept, o.c.text);
  }
  return { sft: [...sft.values()], pairs: [...pairs.values()] };
}

/** Exports the dataset files from the store. */
export async function exportDataset(
  store: FeedbackStore,
  opts: DatasetExportOptions,
): Promise<DatasetExportResult> {
  const evalFraction = opts.evalFraction ?? 0.1;
  const tenants = opts.tenant ? [opts.tenant] : await store.tenants();
  const sft: SftExample[] = [];
  const pairs: PreferencePair[] = [];
  for (const tenant of tenants) {
    const q = { withCode: true, since: opts.since, until: opts.until };
    const [cs, es] = await Promise.all([store.completions(tenant, q), store.events(tenant, q)]);
    const info = new Map<
      string,
      {
        kept: string | null;
        lastRetentionPresent: boolean | null;
        dismissedKept: string | null;
        lastInterval: number;
      }
    >();
    for (const e of es) {
      const i = info.get(e.completionId) ?? {
        kept: null,
        lastRetentionPresent: null,
        dismissedKept: null,
        lastInterval: -1,
      };
      info.set(e.completionId, i);
      const p = e.payload;
      if (
        (p.type === "accepted" || p.type === "partially_accepted") &&
        p.keptText !== null &&
        i.lastInterval < 0
      )
        i.kept = p.keptText;
      if (p.type === "dismissed" && p.keptText !== null) i.dismissedKept = p.keptText;
      if (p.type === "retention" && p.intervalS >= i.lastInterval) {
        i.lastInterval = p.intervalS;
        i.lastRetentionPresent = p.stillPresent;
        if (p.keptText !== null) i.kept = p.keptText;
      }
    }
    const built = buildExamples(outcomes(cs, es), info);
    sft.push(...built.sft);
    pairs.push(...built.pairs);
  }
  const dedupe = <T>(xs: T[], key: (x: T) => string): T[] => [
    ...new Map(xs.map((x) => [key(x), x])).values(),
  ];
  const sftU = dedupe(sft, (x) => sha(x.prefix, x.suffix, x.middle));
  const pairsU = dedupe(pairs, (x) => sha(x.prefix, x.suffix, x.chosen, x.rejected));
  const files = datasetPaths(opts.out);
  mkdirSync(dirname(files.train), { recursive: true });
  const write = (file: string, rows: object[]): number => {
    writeFileSync(file, rows.map((r) => JSON.stringify(r) + "\n").join(""));
    return rows.length;
  };
  const split = <T extends { prefix: string; suffix: string }>(xs: T[]): [T[], T[]] => [
    xs.filter((x) => !isEval(x.prefix, x.suffix, evalFraction)),
    xs.filter((x) => isEval(x.prefix, x.suffix, evalFraction)),
  ];
  const [st, se] = split(sftU);
  const [pt, pe] = split(pairsU);
  const toSft = (x: SftExample): SftExample => ({
    prefix: x.prefix,
    suffix: x.suffix,
    middle: x.middle,
    ...(x.language ? { language: x.language } : {}),
  });
  return {
    files,
    sft: { train: write(files.train, st.map(toSft)), eval: write(files.eval, se.map(toSft)) },
    pairs: { train: write(files.pairsTrain, pt), eval: write(files.pairsEval, pe) },
  };
}
