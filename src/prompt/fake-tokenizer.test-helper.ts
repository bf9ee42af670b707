/**
 * A model-free tokenizer for prompt tests: one token per code point (id = code point + 1000),
 * control tokens from a map (ids < 1000). `decode` shows control tokens as ⟦name⟧.
 */
import type { PromptTokenizer } from "./types.js";

export const BOS = 1;
export const EOS = 2;

/** Builds a fake tokenizer knowing `specials` (piece → id, ids 3..999). */
export function fakeTokenizer(specials: Record<string, number>, opts: { bos?: boolean; eos?: boolean } = {}): PromptTokenizer & {
  decode(ids: number[]): string;
  calls: string[];
} {
  const byId = new Map<number, string>(Object.entries(specials).map(([k, v]) => [v, k]));
  byId.set(BOS, "BOS");
  byId.set(EOS, "EOS");
  const calls: string[] = [];
  return {
    calls,
    tokenize(text: string): number[] {
      calls.push(text);
      return Array.from(text, (c) => c.codePointAt(0)! + 1000);
    },
    tokenId: (t: string) => specials[t],
    ...(opts.bos === false ? {} : { bos: BOS }),
    ...(opts.eos === false ? {} : { eos: EOS }),
    decode: (ids: number[]) => ids.map((id) => (id >= 1000 ? String.fromCodePoint(id - 1000) : `⟦${byId.get(id) ?? id}⟧`)).join(""),
  };
}

export const VOCABS = {
  ghostline: { "<fim_prefix>": 4, "<fim_suffix>": 5, "<fim_middle>": 6, "<fim_pad>": 7, "<file_sep>": 8, "</s>": 2 },
  starcoder: { "<fim_prefix>": 4, "<fim_suffix>": 5, "<fim_middle>": 6, "<fim_pad>": 7, "<file_sep>": 8, "<repo_name>": 9, "<|endoftext|>": 10 },
  qwen: { "<|fim_prefix|>": 20, "<|fim_suffix|>": 21, "<|fim_middle|>": 22, "<|fim_pad|>": 23, "<|repo_name|>": 24, "<|file_sep|>": 25, "<|endoftext|>": 26, "<|im_end|>": 27 },
  deepseek: { "<｜fim▁begin｜>": 30, "<｜fim▁hole｜>": 31, "<｜fim▁end｜>": 32, "<｜end▁of▁sentence｜>": 33, "<|EOT|>": 34 },
  codellama: { "▁<PRE>": 40, "▁<SUF>": 41, "▁<MID>": 42, "▁<EOT>": 43 },
  generic: {},
} as const satisfies Record<string, Record<string, number>>;
