/**
 * Completion cache, scoped by tenant + model.
 *
 * Why: editors re-ask for the same position (focus changes, undo, a client without debounce) and
 * users type through suggestions. An exact hit is keyed by a hash of (tenant, model, params,
 * prefix tail, suffix head); a "forwarding" hit serves the remainder of a cached completion when
 * prefix = cached prefix + the first characters of the cached completion. Forwarding candidates
 * are kept per (tenant, model, params, suffix head) in small recent-first lists.
 *
 * Entries are never shared across tenants: the tenant is part of every key. LRU eviction by entry
 * count (`capacity`); capacity 0 disables the cache.
 */
import { sha1Key } from "./request-keys.js";
import type { GenerationResult } from "./generation.js";

/** Characters of the prefix end / suffix start that identify a prompt (beyond any model's budget). */
export const PREFIX_TAIL_CHARS = 8_000;
export const SUFFIX_HEAD_CHARS = 4_000;
const FORWARD_CANDIDATES = 8;

/** What a cache lookup needs about a request. */
export interface CacheQuery {
  tenant: string;
  model: string;
  /** Everything besides prefix/suffix that shapes the output (sampling, stop rules, language, extra). */
  paramsKey: string;
  prefix: string;
  suffix: string;
}

/** A cached, successfully finished completion. */
export interface CacheEntry {
  key: string;
  groupKey: string;
  prefixTail: string;
  /** True when the whole prefix fit in `prefixTail` (then lengths must match exactly). */
  prefixWhole: boolean;
  suffix: string;
  result: GenerationResult;
}

/** A lookup hit: the entry and how many leading characters of its text the user already typed. */
export interface CacheHit {
  entry: CacheEntry;
  typed: number;
}

function sha(parts: string[]): string {
  return sha1Key(`${parts.join("\u0000")}\u0000`);
}

/** LRU completion cache with typed-through forwarding (see file comment). */
export class CompletionCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly groups = new Map<string, CacheEntry[]>();

  /** @param capacity max entries (0 = disabled). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError("cache capacity must be a non-negative integer");
  }

  get size(): number {
    return this.entries.size;
  }

  private groupKey(q: CacheQuery): string {
    return sha([q.tenant, q.model, q.paramsKey, q.suffix.slice(0, SUFFIX_HEAD_CHARS)]);
  }

  private exactKey(groupKey: string, prefix: string): string {
    return sha([groupKey, prefix.slice(-PREFIX_TAIL_CHARS)]);
  }

  /** Stores a finished completion (empty texts are not worth caching). */
  put(q: CacheQuery, result: GenerationResult): void {
    if (this.capacity === 0 || result.text.length === 0) return;
    const groupKey = this.groupKey(q);
    const key = this.exactKey(groupKey, q.prefix);
    this.delete(key);
    const entry: CacheEntry = {
      key,
      groupKey,
      prefixTail: q.prefix.slice(-PREFIX_TAIL_CHARS),
      prefixWhole: q.prefix.length <= PREFIX_TAIL_CHARS,
      suffix: q.suffix.slice(0, SUFFIX_HEAD_CHARS),
      result,
    };
    this.entries.set(key, entry);
    const group = this.groups.get(groupKey) ?? [];
    group.unshift(entry);
    if (group.length > FORWARD_CANDIDATES) group.pop();
    this.groups.set(groupKey, group);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  /** Exact hit first, then a forwarding hit whose remaining text is non-empty. */
  get(q: CacheQuery): CacheHit | undefined {
    if (this.capacity === 0) return undefined;
    const groupKey = this.groupKey(q);
    const exact = this.entries.get(this.exactKey(groupKey, q.prefix));
    if (exact) {
      this.touch(exact);
      return { entry: exact, typed: 0 };
    }
    const group = this.groups.get(groupKey);
    if (!group) return undefined;
    for (const entry of group) {
      const typed = forwardedChars(q.prefix, entry);
      if (typed > 0) {
        this.touch(entry);
        return { entry, typed };
      }
    }
    return undefined;
  }

  clear(): void {
    this.entries.clear();
    this.groups.clear();
  }

  private touch(entry: CacheEntry): void {
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const group = this.groups.get(entry.groupKey);
    if (!group) return;
    const i = group.indexOf(entry);
    if (i >= 0) group.splice(i, 1);
    if (group.length === 0) this.groups.delete(entry.groupKey);
  }
}

/**
 * How many leading characters k (0 < k < text length) of the entry's completion the prefix ends
 * with, such that the prefix before them equals the cached prefix; 0 when none.
 */
export function forwardedChars(prefix: string, entry: Pick<CacheEntry, "prefixTail" | "prefixWhole" | "result">): number {
  const text = entry.result.text;
  const tail = entry.prefixTail;
  for (let k = Math.min(text.length - 1, prefix.length); k >= 1; k--) {
    const base = prefix.length - k;
    if (entry.prefixWhole ? base !== tail.length : base < tail.length) continue;
    if (!prefix.endsWith(text.slice(0, k))) continue;
    if (prefix.slice(base - tail.length, base) === tail) return k;
  }
  return 0;
}
