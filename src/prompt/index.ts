/**
 * The prompt layer: FIM family detection, token prompts for in-process engines, text prompts for
 * remote engines, budget truncation.
 */
export type { FimFamily, TokenBudget, CharBudget, PromptTokenizer, TokenPrompt, TextPrompt, FamilySpec } from "./types.js";
export { FIM_FAMILIES } from "./types.js";
export { detectFamily, familyFromModelName, type FamilyProbe } from "./detect-family.js";
export { buildTokenPrompt } from "./build-token-prompt.js";
export { renderTextPrompt } from "./render-text-prompt.js";
export { familySpec } from "./families.js";
export { keepEndTokens, keepStartTokens, keepEndChars, keepStartChars } from "./truncate.js";
export { splitAtCursor, CURSOR } from "./cursor.js";
export { lineComment } from "./comment-syntax.js";
export { chooseSplitRule, createJoinedTokenizer, splitAtIndentation, type SplitRule } from "./split-tokenizer.js";
