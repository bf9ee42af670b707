/**
 * Turns a growing token stream into text deltas without ever splitting a multi-byte UTF-8
 * character: byte-fallback tokens of an incomplete character decode to U+FFFD, so a tail ending in
 * U+FFFD is held back until the next token completes it (at most `maxHold` tokens, after which a
 * genuine U+FFFD is let through).
 */

/** Creates a detokenizer over `detokenize` (the model's, for a token list). */
export function createIncrementalDetokenizer(detokenize: (tokens: number[]) => string, maxHold = 4) {
  let pending: number[] = [];
  return {
    /** Adds one token; returns the newly completed text (possibly ""). */
    push(token: number): string {
      pending.push(token);
      const text = detokenize(pending);
      if (text.endsWith("\uFFFD") && pending.length < maxHold) return "";
      pending = [];
      return text;
    },
    /** Returns any held-back text (at the end of generation). */
    flush(): string {
      const text = pending.length > 0 ? detokenize(pending) : "";
      pending = [];
      return text;
    },
  };
}
