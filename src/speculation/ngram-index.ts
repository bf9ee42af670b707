/**
 * An incremental n-gram index over a token history, for prompt-lookup drafting.
 *
 * Why incremental: a new request at every keystroke used to index its whole prompt again (up to
 * ~1,800 tokens × 3 n-gram lengths: 3.4 ms of main-thread work measured for 2,000 tokens, right when
 * the keystroke's first token is due). Between keystrokes a document's prompt changes only at its
 * end (SPM order puts the suffix first), so an index kept per engine sequence slot is brought to the
 * new history by undoing the positions past the common prefix and indexing the new ones: work in
 * proportion to the edit, not to the prompt.
 *
 * After `sync(history)` the index holds exactly `history`: nothing of an earlier history survives
 * past the common prefix, so proposals come only from the current request's own tokens.
 */

/** Positions (ends) of one n-gram hash, ascending. */
type Ends = number[];

/** 32-bit hash of tokens[end-n+1..end]; collisions are resolved by comparing tokens at lookup. */
function hashAt(tokens: readonly number[], end: number, n: number): number {
  let h = n | 0;
  for (let i = end - n + 1; i <= end; i++) h = (Math.imul(h ^ tokens[i]!, 0x9e3779b1) + 0x7f4a7c15) | 0;
  return h;
}

export class NgramIndex {
  /** One map per n (index n - minN): hash → ends, most recent last. */
  private readonly maps: Map<number, Ends>[];
  private tokens: number[] = [];

  constructor(
    readonly maxN = 3,
    readonly minN = 1,
  ) {
    if (minN < 1 || maxN < minN) throw new RangeError("ngram index: need 1 <= minN <= maxN");
    this.maps = Array.from({ length: maxN - minN + 1 }, () => new Map<number, Ends>());
  }

  /** Tokens indexed now. */
  get length(): number {
    return this.tokens.length;
  }

  /** Makes the index hold exactly `history`: drops positions past the common prefix, adds the rest. */
  sync(history: readonly number[]): void {
    const old = this.tokens;
    let common = 0;
    const max = Math.min(old.length, history.length);
    while (common < max && old[common] === history[common]) common++;
    this.truncate(common);
    for (let end = this.tokens.length; end < history.length; end++) {
      this.tokens.push(history[end]!);
      for (let n = this.minN; n <= this.maxN && end - n + 1 >= 0; n++) {
        const map = this.maps[n - this.minN]!;
        const h = hashAt(this.tokens, end, n);
        const ends = map.get(h);
        if (ends) ends.push(end);
        else map.set(h, [end]);
      }
    }
  }

  /**
   * Up to `k` tokens that followed the most recent earlier occurrence of the history's last n tokens
   * (n from maxN down to minN, the first n with a continuation wins). Call `sync` first.
   */
  propose(k: number): number[] {
    const t = this.tokens;
    const last = t.length - 1;
    if (k <= 0 || last < 1) return [];
    for (let n = Math.min(this.maxN, last); n >= this.minN; n--) {
      const ends = this.maps[n - this.minN]!.get(hashAt(t, last, n));
      if (!ends) continue;
      for (let j = ends.length - 1; j >= 0; j--) {
        const end = ends[j]!;
        if (end >= last || !this.same(end, last, n)) continue;
        return t.slice(end + 1, Math.min(end + 1 + k, t.length));
      }
    }
    return [];
  }

  private same(a: number, b: number, n: number): boolean {
    const t = this.tokens;
    for (let i = 0; i < n; i++) if (t[a - i] !== t[b - i]) return false;
    return true;
  }

  /** Removes every position ≥ `length` (each is the last entry of its lists, since ends ascend). */
  private truncate(length: number): void {
    const t = this.tokens;
    if (length === 0) {
      for (const map of this.maps) map.clear();
      t.length = 0;
      return;
    }
    for (let end = t.length - 1; end >= length; end--) {
      for (let n = this.minN; n <= this.maxN && end - n + 1 >= 0; n++) {
        const map = this.maps[n - this.minN]!;
        const h = hashAt(t, end, n);
        const ends = map.get(h);
        if (ends?.[ends.length - 1] !== end) return this.truncate(0); // not reachable (ends ascend); start over
        ends.pop();
        if (ends.length === 0) map.delete(h);
      }
    }
    t.length = Math.min(t.length, length);
  }
}
