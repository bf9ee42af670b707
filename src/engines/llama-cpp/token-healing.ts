/**
 * Token healing of line-anchored prompts (requests.anchorLine): the constraint on the first
 * generated token, and the cut of the healed text from the output. The engine uses both;
 * bench/anchored-middle.ts builds the same constraint for its hand-driven model.
 */
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";

/**
 * Each vocabulary entry's text (special tokens give ""), indexed by token id, with the ids grouped
 * by their text's first one and first two UTF-16 units, so that the entries starting with a text
 * are found without a pass over the whole vocabulary (151,936 entries for Qwen2.5-Coder).
 */
export class VocabularyPieces {
  readonly pieces: readonly string[];
  private readonly byHead = new Map<string, number[]>();
  constructor(pieces: readonly string[]) {
    this.pieces = pieces;
    const add = (key: string, t: number) => {
      let ids = this.byHead.get(key);
      if (!ids) this.byHead.set(key, (ids = []));
      ids.push(t);
    };
    pieces.forEach((piece, t) => {
      if (piece.length >= 1) add(piece.slice(0, 1), t);
      if (piece.length >= 2) add(piece.slice(0, 2), t);
    });
  }
  static of(model: LlamaModel): VocabularyPieces {
    const n = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    return new VocabularyPieces(Array.from({ length: n }, (_, t) => model.detokenize([t as Token], false)));
  }
  get size(): number {
    return this.pieces.length;
  }
  /** The ids of the entries whose text starts with `text` (non-empty), in id order. */
  startingWith(text: string): number[] {
    const ids = this.byHead.get(text.slice(0, 2)) ?? [];
    return text.length <= 2 ? [...ids] : ids.filter((t) => this.pieces[t]!.startsWith(text));
  }
}

/**
 * The logit added to the allowed entries in the boost form of the healing constraint. It must
 * exceed the spread of any model's logits (tens), so that every allowed entry outranks every other
 * one and the others' probability underflows to 0 after the softmax; small enough that float32
 * keeps the allowed entries' differences (ulp at 1,000: 6e-5 logits).
 */
export const HEAL_BOOST = 1000;

/**
 * The constraint of token healing: the first generated token must start with `text`, so every
 * vocabulary entry that does not (end-of-generation tokens included: ending the middle before the
 * typed text is complete contradicts it; unmasked, the end token won a fifth of the shipped model's
 * healed rest-of-line tasks, bench/anchored-middle.ts) is ruled out (null: no entry starts with it).
 *
 * Two equivalent forms, whichever has fewer entries: usually the allowed entries get +HEAL_BOOST
 * (a handful to a few thousand entries), otherwise the others get -Infinity. node-llama-cpp copies
 * the bias map into typed arrays, and llama.cpp rebuilds its bias sampler, at every pass that uses
 * it, and the engine keeps 512 of them: a mask over a 151,936-entry vocabulary is ~150 k entries
 * per pass and per cached text. The boost form is exact for llama.cpp's chain as node-llama-cpp
 * builds it without repetition penalties (bias, then greedy, or top-k / top-p / min-p /
 * temperature / draw, all invariant to adding a constant to the allowed logits once the others
 * cannot win); the engine sets no penalties.
 *
 * Written into the bias map directly (node-llama-cpp 3.21.1): TokenBias.set makes two native
 * end-of-generation checks per entry (1.3–1.7 ms per new healed text at a 4,096-token vocabulary)
 * and skips end-of-generation tokens. With another layout of TokenBias it falls back to
 * TokenBias.set (end tokens then unmasked in the mask form). `form` "mask" forces the mask form
 * (bench/heal-bias.ts compares the two).
 */
export function healingBias(
  model: LlamaModel,
  vocabulary: VocabularyPieces,
  text: string,
  form: "smaller" | "mask" = "smaller",
): TokenBias | null {
  const allowed = vocabulary.startingWith(text);
  if (allowed.length === 0) return null;
  const bias = new TokenBias(model.tokenizer);
  const map = (bias as unknown as { _biases?: unknown })._biases;
  const put =
    map instanceof Map
      ? (t: number, logit: number) => map.set(t, logit)
      : (t: number, logit: number) => bias.set(t as Token, Number.isFinite(logit) ? { logit } : "never");
  if (form === "smaller" && allowed.length * 2 <= vocabulary.size) {
    for (const t of allowed) put(t, HEAL_BOOST);
  } else {
    let next = 0;
    for (let t = 0; t < vocabulary.size; t++) {
      if (allowed[next] === t) next++;
      else put(t, -Infinity);
    }
  }
  return bias;
}

/** Token healing drops at most this many typed tokens (see healSplit). */
export const MAX_HEAL_TOKENS = 4;

/**
 * Which of a line-anchored prompt's typed tokens to heal. They are tokenized as a whole, so their
 * last tokens are often cut where the cursor happens to be (`fo|` of `foo`; `isPointLi` →
 * `is Point L i`), which training never shows inside a middle. Healed: the most typed tokens (up
 * to MAX_HEAL_TOKENS) whose text some vocabulary entry starts with (`healable`; `Li`, which
 * `Light` starts with), else fewer; undefined when none can be (or the kept tokens do not give the
 * typed text's start back). The prompt then ends `count` tokens earlier and the first generated
 * token must start with `text`. On held-out rest-of-line tasks, healing up to 4 tokens instead of
 * the last one raised exact matches from 16.0 to 20.0 % and edit similarity from 39.6 to 44.9 %
 * (bench/anchored-middle.ts, session 30).
 */
export function healSplit(
  typedTokens: readonly number[],
  typedText: string,
  detokenize: (tokens: readonly number[]) => string,
  healable: (text: string) => boolean,
): { count: number; text: string } | undefined {
  for (let k = Math.min(MAX_HEAL_TOKENS, typedTokens.length); k >= 1; k--) {
    const keptText = detokenize(typedTokens.slice(0, typedTokens.length - k));
    if (!typedText.startsWith(keptText) || keptText.length === typedText.length) continue;
    const text = typedText.slice(keptText.length);
    if (healable(text)) return { count: k, text };
  }
  return undefined;
}

/** Cuts `text` from the start of a stream of pieces (what healing's first token re-generates). */
export function createHealStrip(text: string): (piece: string) => string {
  let left = text;
  return (piece) => {
    if (!left || !piece) return piece;
    if (piece.startsWith(left)) {
      const rest = piece.slice(left.length);
      left = "";
      return rest;
    }
    if (left.startsWith(piece)) {
      left = left.slice(piece.length);
      return "";
    }
    left = ""; // cannot happen under the constraint; emit as is rather than lose text
    return piece;
  };
}
