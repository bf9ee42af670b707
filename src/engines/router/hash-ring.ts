/**
 * A consistent-hash ring with virtual nodes. `walk(key)` yields member indices in ring order
 * starting at the key's position, each member once: the first is the key's home, the rest are
 * its failover order. Adding or removing a member moves only ~1/n of the keys.
 */
import { fmix32 } from "../../core/random.js";

export class HashRing {
  private readonly points: { hash: number; member: number }[] = [];

  /** `members`: stable ids (one per replica); `vnodes`: points per member (default 64). */
  constructor(
    members: readonly string[],
    private readonly vnodes = 64,
  ) {
    if (vnodes < 1) throw new RangeError("vnodes must be ≥ 1");
    members.forEach((id, member) => {
      for (let v = 0; v < vnodes; v++) this.points.push({ hash: hash32(`${id}#${v}`), member });
    });
    this.points.sort((a, b) => a.hash - b.hash || a.member - b.member);
  }

  /** Member indices in ring order from `key`'s position (each once). */
  walk(key: string): number[] {
    const n = this.points.length;
    if (n === 0) return [];
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]!.hash < h) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<number>();
    const out: number[] = [];
    for (let i = 0; i < n && seen.size < n / this.vnodes; i++) {
      const m = this.points[(lo + i) % n]!.member;
      if (!seen.has(m)) {
        seen.add(m);
        out.push(m);
      }
    }
    return out;
  }
}

/** 32-bit hash (FNV-1a with a murmur3 finaliser for better spread of similar keys). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}
