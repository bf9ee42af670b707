import type { StopReason } from "../core/types.js";

/**
 * A stop rule looks at all the text generated so far and says where generation ends (`cut`)
 * and how much of the tail it must hold back because a stop could still begin there
 * (`safe`: text before it can be shown now). `final` = the stream has ended.
 */
export interface RuleVerdict {
  cut?: number;
  reason?: StopReason;
  safe: number;
}

/** One stop rule over the accumulated completion text. Pure: same input, same verdict. */
export type StopRule = (all: string, final: boolean) => RuleVerdict;

/** The cursor's surroundings the rules need. */
export interface StopContext {
  prefix: string;
  suffix: string;
}

/** The text of the cursor line before the cursor. */
export function cursorLine(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf("\n") + 1);
}

/** Width of `line`'s leading whitespace (a tab counts 4). */
export function indentWidth(line: string): number {
  let w = 0;
  for (const c of line) {
    if (c === " ") w += 1;
    else if (c === "\t") w += 4;
    else break;
  }
  return w;
}

/** True when `s` has a non-whitespace character. */
export function hasContent(s: string): boolean {
  return /\S/.test(s);
}
