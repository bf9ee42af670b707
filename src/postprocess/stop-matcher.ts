import type { StopReason, StopRules } from "../core/types.js";
import { blockModeRule } from "./block-mode.js";
import { cursorLineOverlapRule } from "./cursor-line-overlap.js";
import { lineModeRule } from "./line-mode.js";
import { inlineRepetitionRule, repetitionRule } from "./repetition-stop.js";
import { stopStringsRule } from "./stop-strings.js";
import { suffixOverlapRule } from "./suffix-overlap-stop.js";
import type { StopContext, StopRule } from "./types.js";

/** An incremental stop matcher over streamed text deltas. */
export interface StopMatcher {
  /** Feeds a delta; returns the text that is now safe to show and, once decided, why generation stops. */
  push(text: string): { emit: string; stop?: StopReason };
  /** At the end of the stream: the held-back text that turned out to be safe ("" after a stop). */
  flush(): string;
}

/**
 * Creates a stop matcher applying, together: `rules.stop` strings, `rules.mode` ("line" /
 * "block"), suffix overlap (the completion starts repeating the line after the cursor), the
 * cursor line's remainder re-typed at the end of the first line (`print(█)` + `x)` → `x`), and
 * repetition (the same line three times in a row, or a line ending in a short unit's loop).
 *
 * Why stateful: deltas split stop strings and lines anywhere, so the matcher keeps all text seen
 * and holds back any tail that a rule cannot decide yet; it never emits past a stop. After a stop,
 * `push` emits nothing and repeats the reason. Not safe for concurrent use (one per request).
 * Cost: every push re-scans the whole completion (completions are at most a few KB).
 */
export function createStopMatcher(rules: StopRules, ctx: StopContext): StopMatcher {
  const list: StopRule[] = [stopStringsRule(rules.stop), suffixOverlapRule(ctx), cursorLineOverlapRule(ctx), repetitionRule(), inlineRepetitionRule()];
  if (rules.mode === "line") list.push(lineModeRule());
  if (rules.mode === "block") list.push(blockModeRule(ctx));
  let all = "";
  let emitted = 0;
  let stopped: StopReason | undefined;

  // Where the shown text ends now and, once decided, why generation stops. When a rule ends the
  // completion at `cut`, the text before it is judged again as a finished completion: a rule that
  // was holding some of it back (it might have become an overlap) must release it or cut earlier.
  const evaluate = (final: boolean): { end: number; reason?: StopReason } => {
    let text = all;
    let done = final;
    let reason: StopReason | undefined;
    for (;;) {
      let end = text.length;
      let cut = Infinity;
      let cutReason: StopReason | undefined;
      for (const rule of list) {
        const v = rule(text, done);
        if (v.cut !== undefined && v.cut < cut) {
          cut = v.cut;
          cutReason = v.reason;
        }
        end = Math.min(end, v.safe);
      }
      if (cutReason !== undefined) reason = cutReason;
      if (cutReason !== undefined && (cut < text.length || !done)) {
        text = text.slice(0, cut);
        done = true;
        continue;
      }
      return { end: Math.max(end, emitted), ...(reason !== undefined ? { reason } : {}) };
    }
  };

  return {
    push(text) {
      if (stopped) return { emit: "", stop: stopped };
      all += text;
      const { end, reason } = evaluate(false);
      const emit = all.slice(emitted, end);
      emitted = end;
      if (reason) {
        stopped = reason;
        return { emit, stop: reason };
      }
      return { emit };
    },
    flush() {
      if (stopped) return "";
      const { end, reason } = evaluate(true);
      const out = all.slice(emitted, end);
      emitted = end;
      if (reason) stopped = reason;
      return out;
    },
  };
}
