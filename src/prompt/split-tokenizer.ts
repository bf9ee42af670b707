/**
 * Incremental prompt tokenization. The prompt builder needs the exact tokenization of the kept
 * prefix (hundreds of tokens) on every keystroke, and the prefix changes on every keystroke, so a
 * memo of whole texts never hits. Most tokenizers, though, never merge across the boundary between
 * a line's indentation and its first non-blank character (the shipped SentencePiece model has
 * "\n" + indentation pieces; many BPE pre-tokenizers split there too). Where that holds, the text
 * is cut into chunks at those boundaries, each chunk is tokenized on its own (memoised: only the
 * cursor's chunk is new from one keystroke to the next), and the chunks' tokens are concatenated.
 *
 * Whether it holds is not assumed: `chooseSplitRule` tests a model's tokenizer on generated
 * boundary cases at load time (every indentation width the rule covers, with many line endings and
 * line starts) and picks the widest rule with no mismatch, or none (then the engine tokenizes the
 * whole text as before).
 */

/** Which boundaries are cut: after "\n" + up to `spaces` spaces, or up to `tabs` tabs (pure runs). */
export interface SplitRule {
  spaces: number;
  tabs: number;
}

const WS = /\s/;

/** Chunks of `lines` (each but the last ending in "\n"; joined they are the text) cut at the rule's boundaries. */
export function splitAtIndentation(lines: readonly string[], rule: SplitRule): string[] {
  const chunks: string[] = [];
  let cur = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i === 0 || !lines[i - 1]!.endsWith("\n")) {
      cur += line;
      continue;
    }
    const c0 = line.charCodeAt(0);
    let n = 0;
    if (c0 === 32) while (line.charCodeAt(n) === 32) n++;
    else if (c0 === 9) while (line.charCodeAt(n) === 9) n++;
    const max = c0 === 9 ? rule.tabs : rule.spaces;
    if (n <= max && n < line.length && !WS.test(line[n]!)) {
      cur += line.slice(0, n);
      chunks.push(cur);
      cur = line.slice(n);
    } else cur += line;
  }
  if (cur) chunks.push(cur);
  return chunks;
}

const HEADS = ["foo(bar);", "x = 1  ", "{", "}", "def f(a, b):", "  return x", "", "é", "// note", "a\t", "});", "'''", "#"];
const STARTS = ["if (x)", "}", "return x;", ")", "'s'", '"s"', "#x", "@dec", "1 + 2", "é", "中文", "_x", "$y", ".then(", "=>", "*/", "<div>", "-1", "`t`", "\\n"];

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when cutting after "\n" + `indent` never changes the tokenization on the generated cases. */
function boundaryHolds(tokenize: (t: string) => readonly number[], indent: string, heads: readonly string[], starts: readonly string[]): boolean {
  for (const h of heads)
    for (const s of starts) {
      const a = `${h}\n${indent}`;
      const b = `${s} + y;\n`;
      if (!sameTokens(tokenize(a + b), [...tokenize(a), ...tokenize(b)])) return false;
    }
  return true;
}

/**
 * The widest split rule the tokenizer honours on the generated cases: indentation widths are tested
 * 0..32 spaces and 1..8 tabs, each with every line start; the rule covers the widths up to the
 * first failing one (no rule when a cut right after "\n" already fails).
 */
export function chooseSplitRule(tokenize: (t: string) => readonly number[]): SplitRule | undefined {
  if (!boundaryHolds(tokenize, "", HEADS, STARTS)) return undefined;
  const heads = HEADS.filter((_, i) => i % 2 === 0);
  let spaces = 0;
  while (spaces < 32 && boundaryHolds(tokenize, " ".repeat(spaces + 1), heads, STARTS)) spaces++;
  let tabs = 0;
  while (tabs < 8 && boundaryHolds(tokenize, "\t".repeat(tabs + 1), heads, STARTS)) tabs++;
  return { spaces, tabs };
}

/** Exact tokenization of `lines.join("")` from memoised chunk tokenizations. */
export function createJoinedTokenizer(tokenize: (t: string) => readonly number[], rule: SplitRule): (lines: readonly string[]) => number[] {
  return (lines) => {
    const out: number[] = [];
    for (const chunk of splitAtIndentation(lines, rule)) for (const t of tokenize(chunk)) out.push(t);
    return out;
  };
}
