/**
 * Token healing of line-anchored prompts (requests.anchorLine): the constraint on the first
 * generated token, and the cut of the healed text from the output. The engine uses both;
 * bench/anchored-middle.ts builds the same constraint for its hand-driven model.
 */
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";

/** Each vocabulary entry's text (special tokens give ""), indexed by token id. */
export function vocabularyPieces(model: LlamaModel): string[] {
  const n = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  return Array.from({ length: n }, (_, t) => model.detokenize([t as Token], false));
}

/**
 * A bias that forbids every vocabulary entry whose text does not start with `text`, end-of-
 * generation tokens included (null: no entry starts with it).
 *
 * Written into the bias map directly (node-llama-cpp 3.21.1): TokenBias.set makes two native
 * end-of-generation checks per entry (1.3–1.7 ms per new healed text at a 4,096-token vocabulary,
 * on the keystroke's path) and skips end-of-generation tokens, whereas ending the middle before the
 * typed text is complete contradicts it: unmasked, the end token won a fifth of the shipped model's
 * healed rest-of-line tasks (bench/anchored-middle.ts). With another layout of TokenBias it falls
 * back to TokenBias.set, end tokens unmasked.
 */
export function healingBias(model: LlamaModel, pieces: readonly string[], text: string): TokenBias | null {
  const bias = new TokenBias(model.tokenizer);
  const map = (bias as unknown as { _biases?: unknown })._biases;
  const forbid = map instanceof Map ? (t: number) => map.set(t, -Infinity) : (t: number) => bias.set(t as Token, "never");
  let allowed = 0;
  pieces.forEach((piece, t) => {
    if (piece.startsWith(text)) allowed++;
    else forbid(t);
  });
  return allowed > 0 ? bias : null;
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
