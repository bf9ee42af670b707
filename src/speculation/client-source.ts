/**
 * Client-draft source: the text the client is showing (or showed) at this position, e.g. the rest
 * of a suggestion the user is typing through. It proposes the continuation of that text after what
 * has been generated so far, as long as the generated text is still a prefix of it.
 */
import type { DraftProposal, DraftSource } from "./draft-source.js";

/** Tokenizer/detokenizer the source needs (the target model's). */
export interface ClientSourceTokenizer {
  tokenize(text: string): number[];
  detokenize(tokens: readonly number[]): string;
}

/** Creates the client source for one request. `promptLength` = number of prompt tokens in the history. */
export function createClientSource(
  draftText: string,
  promptLength: number,
  tok: ClientSourceTokenizer,
): DraftSource {
  const draftTokens = tok.tokenize(draftText);
  let cacheOffset = -1;
  let cacheTokens: number[] = [];
  return {
    name: "client",
    cheap: true,
    async propose(history, k): Promise<DraftProposal> {
      if (k <= 0 || draftText.length === 0) return { tokens: [] };
      const generated = history.slice(promptLength);
      // fast path: generation followed the draft's own tokenisation
      let aligned = generated.length <= draftTokens.length;
      for (let i = 0; aligned && i < generated.length; i++)
        if (generated[i] !== draftTokens[i]) aligned = false;
      if (aligned) return { tokens: draftTokens.slice(generated.length, generated.length + k) };
      const text = tok.detokenize(generated);
      if (!draftText.startsWith(text) || text.length >= draftText.length) return { tokens: [] };
      if (cacheOffset !== text.length) {
        cacheOffset = text.length;
        cacheTokens = tok.tokenize(draftText.slice(text.length));
      }
      return { tokens: cacheTokens.slice(0, k) };
    },
  };
}
