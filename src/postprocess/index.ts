/**
 * Post-processing of generated text: the incremental stop matcher (stop strings, line/block
 * modes, suffix overlap) and pure post-filters.
 */
export { createStopMatcher, type StopMatcher } from "./stop-matcher.js";
export { trimSuffixOverlap } from "./trim-suffix-overlap.js";
export { balanceBrackets } from "./balance-brackets.js";
export { isRepetitive } from "./is-repetitive.js";
export { stopStringsRule } from "./stop-strings.js";
export { lineModeRule } from "./line-mode.js";
export { blockModeRule } from "./block-mode.js";
export { suffixOverlapRule } from "./suffix-overlap-stop.js";
export type { StopRule, RuleVerdict, StopContext } from "./types.js";
