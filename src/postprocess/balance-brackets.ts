const OPEN: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
const CLOSERS = new Set(Object.keys(OPEN));

/**
 * Drops trailing closing brackets of `text` that close brackets opened before the cursor when the
 * suffix (after spaces/tabs on the cursor line) already provides them:
 * prefix "f(", text "a, b)", suffix ")" → "a, b". Brackets inside strings are not special-cased.
 * `prefix` is accepted for future use (string/comment awareness); matching looks at `text` only.
 */
export function balanceBrackets(text: string, _prefix: string, suffix: string): string {
  const body = text.trimEnd();
  let tailStart = body.length;
  while (tailStart > 0 && CLOSERS.has(body[tailStart - 1]!)) tailStart--;
  if (tailStart === body.length) return text;
  // Closers of the tail that an opener inside the text does not match close the prefix's brackets.
  const stack: string[] = [];
  for (let i = 0; i < tailStart; i++) {
    const c = body[i]!;
    if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (CLOSERS.has(c) && stack[stack.length - 1] === OPEN[c]) stack.pop();
  }
  let unmatchedFrom = tailStart;
  for (let i = tailStart; i < body.length; i++) {
    if (stack.length > 0 && stack[stack.length - 1] === OPEN[body[i]!]) {
      stack.pop();
      unmatchedFrom = i + 1;
    } else break;
  }
  const unmatched = body.slice(unmatchedFrom);
  if (!unmatched) return text;
  const ahead = suffix.replace(/^[ \t]+/, "");
  for (let j = 0; j < unmatched.length; j++) {
    if (ahead.startsWith(unmatched.slice(j))) return body.slice(0, unmatchedFrom + j);
  }
  return text;
}
