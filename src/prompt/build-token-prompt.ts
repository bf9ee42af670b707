import { GhostlineError } from "../core/errors.js";
import type { FimInput } from "../core/types.js";
import { commentSnippet, lineComment } from "./comment-syntax.js";
import { checkBudget, familySpec, repoNameOf } from "./families.js";
import { keepEndTokens, keepStartTokens } from "./truncate.js";
import type { FamilySpec, FimFamily, PromptTokenizer, Segment, TokenBudget, TokenPrompt } from "./types.js";

/** Most of the prompt room the suffix, and separately the extra context, may take. */
const SHARE = 0.25;

/** Smallest useful remainder for a partially included extra snippet (tokens). */
const MIN_PARTIAL_EXTRA = 8;

/** Line-anchored middle: most typed tokens after the middle marker, least prefix room left. */
const MAX_TYPED_TOKENS = 64;
const MIN_ANCHORED_PREFIX = 16;

/**
 * Builds the token prompt of `family` for `input` within `budget`.
 *
 * User text (prefix, suffix, snippets) is tokenized separately with `tok.tokenize`, so a literal
 * "<fim_prefix>" in a file stays text; control tokens come only from `tok.tokenId`. The prefix is
 * cut from the left and the suffix from the right (at line boundaries when possible). Within
 * `maxPromptTokens` the suffix and the extra context each get at most a fixed share (a quarter) of
 * the room and the prefix gets the rest: the split must not move while the user types. (It used
 * to shrink the suffix as the prefix grew; with the suffix first in SPM order, every such shrink
 * changed the prompt's start and threw away the whole KV state: a full prefill every few
 * keystrokes at the end of a long file.)
 * Throws `context_overflow` when not even the template fits, `engine_error` when the vocabulary
 * lacks the family's FIM tokens.
 */
export function buildTokenPrompt(family: FimFamily, input: FimInput, budget: TokenBudget, tok: PromptTokenizer): TokenPrompt {
  const spec = familySpec(family);
  const prefixB = checkBudget("prefixTokens", budget.prefixTokens);
  const suffixB = checkBudget("suffixTokens", budget.suffixTokens);
  const extraB = checkBudget("extraTokens", budget.extraTokens);
  const maxB = checkBudget("maxPromptTokens", budget.maxPromptTokens);
  const idOf = (names: readonly string[]): number | undefined => {
    for (const n of names) {
      const id = tok.tokenId(n);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const render = (segs: readonly Segment[]): number[] | undefined => {
    const out: number[] = [];
    for (const s of segs) {
      if (s.kind === "special") {
        const id = idOf(s.names);
        if (id === undefined) return undefined;
        out.push(id);
      } else if (s.kind === "text") out.push(...tok.tokenize(s.text));
    }
    return out;
  };

  const useBos = spec.bos && tok.bos !== undefined;
  const fixed = render(spec.layout);
  if (!fixed) {
    const missing = spec.layout.find((s) => s.kind === "special" && idOf(s.names) === undefined);
    const name = missing?.kind === "special" ? missing.names[0] : "?";
    throw new GhostlineError("engine_error", `The model's vocabulary lacks ${name}, required by FIM family "${family}"`);
  }
  const avail = maxB - fixed.length - (useBos ? 1 : 0);
  if (avail < 1) throw new GhostlineError("context_overflow", `maxPromptTokens ${maxB} cannot hold the "${family}" template`);

  const tokenize = (t: string): number[] => tok.tokenize(t);
  const joined = tok.tokenizeJoined ? (l: readonly string[]) => tok.tokenizeJoined!(l) : undefined; // undefined: truncate tokenizes the joined text whole
  const showSuffix = spec.layout.some((s) => s.kind === "slot" && s.slot === "suffix");
  const align = Math.max(1, Math.floor(budget.prefixAlignLines ?? 1));
  const share = Math.floor(avail * SHARE);
  const suf = showSuffix ? keepStartTokens(input.suffix, Math.min(suffixB, share), tokenize, joined) : { tokens: [], truncated: false };
  const extra = extraTokens(spec, input, Math.min(extraB, share, avail - suf.tokens.length), tok, render);
  const prefixRoom = Math.min(prefixB, avail - suf.tokens.length - extra.tokens.length);
  const anchor = budget.anchorLine && tok.detokenize ? lineAnchor(input.prefix, prefixRoom, tokenize, (t) => tok.detokenize!(t)) : undefined;
  const pre = keepEndTokens(anchor ? anchor.prefix : input.prefix, prefixRoom - (anchor?.tokens.length ?? 0), tokenize, align, joined);

  const tokens: number[] = useBos ? [tok.bos!] : [];
  for (const s of spec.layout) {
    if (s.kind === "special") tokens.push(idOf(s.names)!);
    else if (s.kind === "text") tokens.push(...tok.tokenize(s.text));
    else if (s.slot === "prefix") tokens.push(...(extra.asComments ? extra.tokens : []), ...pre.tokens);
    else if (s.slot === "suffix") tokens.push(...suf.tokens);
    else if (!extra.asComments) tokens.push(...extra.tokens);
  }

  if (anchor) tokens.push(...anchor.tokens);

  const stopTokenIds = new Set<number>();
  for (const name of spec.stopTokens) {
    const id = tok.tokenId(name);
    if (id !== undefined) stopTokenIds.add(id);
  }
  if (tok.eos !== undefined) stopTokenIds.add(tok.eos);
  return {
    tokens,
    truncated: pre.truncated || suf.truncated,
    stopTokenIds: [...stopTokenIds],
    stopStrings: [...spec.stopStrings],
    ...(anchor ? { typed: { text: anchor.typed, tokenCount: anchor.tokens.length } } : {}),
  };
}

/**
 * The line anchor of `prefix` (see TokenBudget.anchorLine): the prefix up to the cursor line's
 * content and that content's tokens; undefined when the line has no content before the cursor, or
 * when the content is too long to be worth it or its tokens do not give it back.
 */
function lineAnchor(
  prefix: string,
  room: number,
  tokenize: (t: string) => number[],
  detokenize: (tokens: readonly number[]) => string,
): { prefix: string; typed: string; tokens: number[] } | undefined {
  const line = prefix.slice(prefix.lastIndexOf("\n") + 1);
  const typed = line.trimStart();
  if (typed.length === 0) return undefined;
  const tokens = tokenize(typed);
  if (tokens.length > MAX_TYPED_TOKENS || room - tokens.length < MIN_ANCHORED_PREFIX) return undefined;
  if (detokenize(tokens) !== typed) return undefined; // e.g. a tokenizer that adds a leading space
  return { prefix: prefix.slice(0, prefix.length - typed.length), typed, tokens };
}

/**
 * The repository-context tokens within `budget`, in the family's format: repo markers (placed at
 * the extra slot), or comment lines (placed right before the prefix) as the fallback.
 */
function extraTokens(
  spec: FamilySpec,
  input: FimInput,
  budget: number,
  tok: PromptTokenizer,
  render: (segs: readonly Segment[]) => number[] | undefined,
): { tokens: number[]; asComments: boolean } {
  const extras = input.extra ?? [];
  if (extras.length === 0 || budget <= 0) return { tokens: [], asComments: false };
  const out: number[] = [];
  if (spec.extraMode === "repo" && spec.repoChunk && spec.repoCurrentFile) {
    const head = render(spec.repoHeader ? spec.repoHeader(repoNameOf(input.filepath)) : []);
    const tail = render(spec.repoCurrentFile(input.filepath ?? "untitled"));
    const markers = render(spec.repoChunk({ filepath: "", text: "" }).filter((s) => s.kind === "special"));
    if (head && tail && markers) {
      let left = budget - head.length - tail.length;
      for (const e of extras) {
        const body = `${e.filepath}\n${e.text}${e.text.endsWith("\n") ? "" : "\n"}`;
        const room = left - markers.length;
        if (room < MIN_PARTIAL_EXTRA) break;
        const piece = keepStartTokens(body, room, (t) => tok.tokenize(t));
        out.push(...markers, ...piece.tokens);
        left -= markers.length + piece.tokens.length;
        if (piece.truncated) break;
      }
      return { tokens: out.length > 0 ? [...head, ...out, ...tail] : [], asComments: false };
    }
  }
  const marker = lineComment(input.language, input.filepath);
  let left = budget;
  for (const e of extras) {
    if (left < MIN_PARTIAL_EXTRA) break;
    const piece = keepStartTokens(commentSnippet(e.filepath, e.text, marker), left, (t) => tok.tokenize(t));
    out.push(...piece.tokens);
    left -= piece.tokens.length;
    if (piece.truncated) break;
  }
  return { tokens: out, asComments: true };
}
