/**
 * Turns a growing token stream into text deltas without ever splitting a multi-byte UTF-8
 * character: byte-fallback tokens of an incomplete character decode to U+FFFD, so a tail ending in
 * U+FFFD is held back until the next token completes it (at most `maxHold` tokens, after which a
 * genuine U+FFFD is let through). The last few emitted tokens are passed as context so tokenizers
 * that add or strip a leading space decide correctly.
 */

/** Detokenizes `tokens`; `lastTokens` are the tokens that preceded them. */
export type Detokenize = (tokens: number[], lastTokens?: number[]) => string;

/** An incremental detokenizer. One per generation; not for concurrent use. */
export interface IncrementalDetokenizer {
  /** Adds one token; returns the newly completed text (possibly ""). */
  push(token: number): string;
  /** Returns any held-back text (at the end of generation). */
  flush(): string;
}

/** Creates a detokenizer over `detokenize` (the model's, for a token list). */
export function createIncrementalDetokenizer(detokenize: Detokenize, maxHold = 4): IncrementalDetokenizer {
  let pending: number[] = [];
  let last: number[] = [];
  const emit = () => {
    const text = detokenize(pending, last);
    last = [...last, ...pending].slice(-4);
    pending = [];
    return text;
  };
  return {
    push(token) {
      pending.push(token);
      const text = detokenize(pending, last);
      if (text.endsWith("\uFFFD") && pending.length < maxHold) return "";
      return emit();
    },
    flush() {
      return pending.length > 0 ? emit() : "";
    },
  };
}
