import { cursorLine, hasContent, type StopContext, type StopRule } from "./types.js";

const OPENER_OF: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/**
 * For each character of `text`: true when it is code — not inside a string literal ('…', "…",
 * `…`) or a `//` comment — continuing the lexical state that `before` (the cursor line up to the
 * cursor) leaves. One line of look-back: strings that span lines (other than template literals
 * begun on the cursor line) are not tracked.
 */
export function codeMask(before: string, text: string): boolean[] {
  const all = before + text;
  const out: boolean[] = [];
  let quote: string | undefined;
  let comment = false;
  let escaped = false;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    let code = false;
    if (c === "\n") {
      comment = false;
      escaped = false;
      if (quote !== "`") quote = undefined;
    } else if (comment) {
      // rest of a // comment
    } else if (quote) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && all[i + 1] === "/") comment = true;
    else code = true;
    if (i >= before.length) out.push(code);
  }
  return out;
}

/**
 * True when removing `body.slice(from)` takes away no closing bracket that closes an opening
 * bracket of `body.slice(0, from)`: each closer in the removed part closes a bracket opened before
 * the cursor (the suffix's copy of it stays) or one opened inside the removed part itself.
 */
function removesOnlyForeignClosers(body: string, mask: boolean[], from: number): boolean {
  const stack: string[] = [];
  let base = 0; // brackets still open where the removed part starts
  for (let i = 0; i < body.length; i++) {
    if (i === from) base = stack.length;
    if (!mask[i]) continue;
    const c = body[i]!;
    if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if ((c === ")" || c === "]" || c === "}") && stack[stack.length - 1] === OPENER_OF[c]) {
      if (i >= from && stack.length <= base) return false;
      stack.pop();
    }
  }
  return true;
}

/**
 * The rest of the cursor line (the suffix up to its first newline) as the completion may re-type
 * it: as is, and without its leading spaces and tabs; undefined when it holds no code.
 */
function cursorLineAheads(suffix: string): [string, string] | undefined {
  const nl = suffix.indexOf("\n");
  const rest = nl < 0 ? suffix : suffix.slice(0, nl);
  return hasContent(rest) ? [rest, rest.replace(/^[ \t]+/, "")] : undefined;
}

/**
 * The first completion line, without the end that the cursor line's remainder (the suffix up to
 * its first newline, taken as is or without its leading spaces and tabs) already provides: the
 * model re-typed what follows the cursor, e.g. `print(█)` + `x)` → `x`, `foo(█);` + `a, b);` →
 * `a, b`. An overlap counts when it holds non-whitespace and is at least 4 characters, or runs to
 * the end of the cursor line, or is only closing punctuation and quotes — and never when it would remove a
 * closing bracket that the completion itself opened (`x = █)` + `g(1)` stays `g(1)`). Brackets
 * inside strings and `//` comments do not count. Returns `line` unchanged when nothing overlaps.
 */
export function trimCursorLineOverlap(line: string, prefix: string, suffix: string): string {
  const aheads = cursorLineAheads(suffix);
  if (!aheads) return line;
  const rest = aheads[0];
  const body = line.trimEnd();
  const mask = codeMask(cursorLine(prefix), body);
  for (let k = Math.min(body.length, rest.length); k > 0; k--) {
    const tail = body.slice(body.length - k);
    const ahead = aheads.find((a) => a.startsWith(tail));
    if (!ahead || !hasContent(tail)) continue;
    const toLineEnd = k === ahead.length;
    const punctuation = /^[\s)\]};,>"'`]+$/.test(tail);
    if (!(k >= 4 || toLineEnd || punctuation)) continue;
    if (!removesOnlyForeignClosers(body, mask, body.length - k)) continue;
    return body.slice(0, body.length - k);
  }
  return line;
}

/**
 * Stop rule over the first completion line when the cursor sits inside a line (the suffix has
 * code before its first newline): once that line is complete (a newline, or the end of the
 * stream), generation ends where `trimCursorLineOverlap` cuts it. While the line is still open,
 * its tail that could be the start of such an overlap is held back (at most the cursor line's
 * remainder). Reports "stop_string": the cursor line's remainder acts as one.
 */
export function cursorLineOverlapRule(ctx: StopContext): StopRule {
  const aheads = cursorLineAheads(ctx.suffix);
  if (!aheads) return (all) => ({ safe: all.length });
  const rest = aheads[0];
  // the matcher re-runs every rule at each delta: the verdict on a finished line is kept
  let judged: { line: string; kept: number } | undefined;
  return (all, final) => {
    const end = all.indexOf("\n");
    const line = end >= 0 ? all.slice(0, end) : all;
    if (end >= 0 || final) {
      if (judged?.line !== line) judged = { line, kept: trimCursorLineOverlap(line, ctx.prefix, ctx.suffix).length };
      const kept = judged.kept;
      return kept < line.length ? { cut: kept, reason: "stop_string", safe: kept } : { safe: all.length };
    }
    const body = line.trimEnd();
    let hold = line.length - body.length;
    for (let k = Math.min(body.length, rest.length); k > 0; k--) {
      const tail = body.slice(body.length - k);
      if (aheads.some((a) => a.startsWith(tail))) {
        hold += k;
        break;
      }
    }
    return { safe: line.length - hold };
  };
}
