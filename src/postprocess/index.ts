/**
 * Post-processing of generated text: the incremental stop matcher (stop strings, line/block
 * modes, suffix overlap, the cursor line's remainder re-typed, repetition).
 */
export { createStopMatcher, type StopMatcher } from "./stop-matcher.js";
export { trimCursorLineOverlap, cursorLineOverlapRule, codeMask } from "./cursor-line-overlap.js";
export { inlineRepetitionRule, repetitionRule } from "./repetition-stop.js";
export { stopStringsRule } from "./stop-strings.js";
export { lineModeRule } from "./line-mode.js";
export { blockModeRule } from "./block-mode.js";
export { suffixOverlapRule } from "./suffix-overlap-stop.js";
export type { StopRule, RuleVerdict, StopContext } from "./types.js";
