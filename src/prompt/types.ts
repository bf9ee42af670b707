/**
 * Types of the prompt layer: FIM families, token/char budgets, the tokenizer port and the
 * layout vocabulary each family file uses to describe its template.
 */
import type { ExtraContext } from "../core/types.js";

/** The FIM template families Ghostline knows. "generic" = no FIM: the prefix is continued left to right. */
export type FimFamily = "ghostline" | "deepseek" | "qwen" | "starcoder" | "codellama" | "generic";

/** Every family name, for validation and tests. */
export const FIM_FAMILIES: readonly FimFamily[] = ["ghostline", "deepseek", "qwen", "starcoder", "codellama", "generic"];

/** Token budgets of one prompt. All counts are tokens; `maxPromptTokens` caps the whole prompt (BOS and control tokens included). */
export interface TokenBudget {
  prefixTokens: number;
  suffixTokens: number;
  extraTokens: number;
  maxPromptTokens: number;
  /**
   * Round the prefix cut to multiples of this many lines (default 1 = tightest cut). Larger
   * values keep the prompt start stable while the user types, so KV prefix reuse survives.
   */
  prefixAlignLines?: number;
  /**
   * Line-anchored middle: the prefix ends at the start of the cursor line's content (after its
   * indentation) and the content typed before the cursor follows the middle marker as the start of
   * the middle (`TokenPrompt.typed`). The keystrokes of one line then share the whole prompt up to
   * the middle marker, and the middle starts where training's middles start. Off when the typed
   * content is longer than 64 tokens, would squeeze the prefix below 16, or does not round-trip
   * through the tokenizer (which must then have `detokenize`).
   */
  anchorLine?: boolean;
}

/** Character budgets of a text prompt (remote engines tokenize themselves). */
export interface CharBudget {
  prefixChars: number;
  suffixChars: number;
  extraChars: number;
}

/**
 * The tokenizer port. `tokenize` must treat its input as plain text (special-token markers in user
 * text stay text); control tokens are looked up only through `tokenId` (undefined when the vocabulary
 * lacks the piece). `bos`/`eos`: ids when the model uses them.
 */
export interface PromptTokenizer {
  tokenize(text: string): number[];
  /**
   * Optional: the exact tokenization of `lines.join("")`, computed incrementally (see
   * split-tokenizer.ts). Without it the joined text is tokenized whole.
   */
  tokenizeJoined?(lines: readonly string[]): number[];
  tokenId(text: string): number | undefined;
  /** Optional: token ids back to text. A line-anchored prompt needs it (to check that the typed text round-trips). */
  detokenize?(tokens: readonly number[]): string;
  bos?: number;
  eos?: number;
}

/** A prompt as token ids plus how generation ends. */
export interface TokenPrompt {
  tokens: number[];
  /** True when prefix or suffix was cut to fit (dropped extra context does not count). */
  truncated: boolean;
  /** Token ids that end the middle (EOS, EOT, file separators, FIM markers). */
  stopTokenIds: number[];
  /** Text stops for the same purpose (rendered forms of the control tokens). */
  stopStrings: string[];
  /**
   * With `anchorLine`: the cursor line's content before the cursor, whose tokens (`tokenCount`,
   * tokenized on their own, as a middle) end `tokens`. Absent: the prompt ends with the family's
   * last control token (or the prefix), as usual.
   */
  typed?: { text: string; tokenCount: number };
}

/** A prompt as plain text plus the stop strings to send with it. */
export interface TextPrompt {
  prompt: string;
  stop: string[];
  /** True when prefix or suffix was cut to fit the character budgets. */
  truncated: boolean;
}

/** One piece of a laid-out prompt. `special` lists alternative spellings of one control token (first found wins). */
export type Segment =
  | { kind: "special"; names: readonly string[] }
  | { kind: "slot"; slot: "prefix" | "suffix" | "extra" }
  | { kind: "text"; text: string };

/** How a family carries repository context. */
export type ExtraMode = "repo" | "comment";

/** A family's template, declared as data so the token and text renderers share it. */
export interface FamilySpec {
  family: FimFamily;
  /** Prepend BOS (when the tokenizer has one). */
  bos: boolean;
  /** The prompt around the three slots, in the family's native order. */
  layout: readonly Segment[];
  /** "repo": `repoChunk` per snippet + `repoCurrentFile`; "comment": snippets become comment lines before the prefix. */
  extraMode: ExtraMode;
  /** Segments of one repository snippet (repo mode). */
  repoChunk?: (e: ExtraContext) => Segment[];
  /** Segments opening the repository block (repo mode), e.g. Qwen's `<|repo_name|>name\n`. */
  repoHeader?: (repoName: string) => Segment[];
  /** Segments naming the current file after the snippets (repo mode). */
  repoCurrentFile?: (filepath: string) => Segment[];
  /** Control tokens (by spelling) that end the middle. */
  stopTokens: readonly string[];
  /** Stop strings for remote engines (≤ 4: the OpenAI API's limit). */
  stopStrings: readonly string[];
}

/** Shorthand for a control-token segment. */
export function special(...names: string[]): Segment {
  return { kind: "special", names };
}

/** Shorthand for a literal text segment. */
export function text(t: string): Segment {
  return { kind: "text", text: t };
}

/** Re-exported for family files. */
export type { ExtraContext };
