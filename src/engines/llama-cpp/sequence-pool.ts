/**
 * Leasing of KV sequences (slots) with affinity and tenant isolation.
 *
 * Why: a code-completion request mostly repeats the previous request of the same document with a
 * few more characters, so routing it to the slot that already holds that prompt's KV state turns a
 * full prefill into a 1–2 token evaluation. KV state must never leak between tenants: a slot that
 * last served another tenant is handed out with `mustClear` set and is never chosen for reuse.
 * When every slot is busy, waiters are served by priority (higher first) then arrival order.
 */

/** A leased slot. Call `release()` exactly once (in `finally`). */
export interface SequenceLease {
  readonly index: number;
  /** The slot last served another tenant (or nobody): the caller must erase all its state first. */
  readonly mustClear: boolean;
  /** Marks the slot's KV state unknown (e.g. after a failed clear): its next lease gets `mustClear`. */
  invalidate(): void;
  release(): void;
}

/** What the pool needs to know to place a request. */
export interface LeaseRequest {
  tenant: string;
  affinityKey: string;
  priority?: number;
  /** Length of the prompt prefix slot `index` already holds (compared only for same-tenant slots). */
  sharedPrefix: (index: number) => number;
}

interface Slot {
  busy: boolean;
  tenant: string | undefined;
  affinityKey: string | undefined;
  lastUsed: number;
}

interface Waiter {
  request: LeaseRequest;
  order: number;
  resolve: (lease: SequenceLease | null) => void;
  removeAbort: () => void;
}

/** A pool of `size` slots. Not thread-safe across workers; safe for concurrent async callers. */
export class SequencePool {
  private readonly slots: Slot[];
  private readonly waiters: Waiter[] = [];
  private clock = 0;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.slots = Array.from({ length: size }, () => ({
      busy: false,
      tenant: undefined,
      affinityKey: undefined,
      lastUsed: 0,
    }));
  }

  /** Slots busy/free and requests waiting. */
  stats(): { busy: number; free: number; queued: number } {
    const busy = this.slots.filter((s) => s.busy).length;
    return { busy, free: this.slots.length - busy, queued: this.waiters.length };
  }

  /**
   * Leases a slot, waiting when all are busy. Resolves `null` when `signal` aborts first or the
   * pool is closed (the caller reports "cancelled").
   */
  acquire(request: LeaseRequest, options: { signal?: AbortSignal } = {}): Promise<SequenceLease | null> {
    const { signal } = options;
    if (this.closed || signal?.aborted) return Promise.resolve(null);
    const index = this.pick(request);
    if (index !== undefined) return Promise.resolve(this.lease(index, request));
    return new Promise((resolve) => {
      const waiter: Waiter = { request, order: this.clock++, resolve, removeAbort: () => {} };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter.removeAbort = () => signal?.removeEventListener("abort", onAbort);
      this.waiters.push(waiter);
    });
  }

  /** Rejects nothing; resolves every waiter with null and refuses new leases. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.removeAbort();
      w.resolve(null);
    }
  }

  private pick(request: LeaseRequest): number | undefined {
    let best: number | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.busy) continue;
      let score: number;
      if (slot.tenant === request.tenant && slot.affinityKey === request.affinityKey) score = 3e9;
      else if (slot.tenant === request.tenant) score = 1e9 + request.sharedPrefix(i) * 1e3;
      else if (slot.tenant === undefined) score = 5e8;
      else score = 0;
      score -= slot.lastUsed / 1e6; // ties: least recently used
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }

  private lease(index: number, request: LeaseRequest): SequenceLease {
    const slot = this.slots[index]!;
    const mustClear = slot.tenant !== request.tenant;
    slot.busy = true;
    slot.tenant = request.tenant;
    slot.affinityKey = request.affinityKey;
    slot.lastUsed = this.clock++;
    let released = false;
    return {
      index,
      mustClear,
      invalidate: () => {
        slot.tenant = undefined;
        slot.affinityKey = undefined;
      },
      release: () => {
        if (released) return;
        released = true;
        slot.busy = false;
        this.dispatch();
      },
    };
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && !this.closed) {
      this.waiters.sort((a, b) => (b.request.priority ?? 0) - (a.request.priority ?? 0) || a.order - b.order);
      const next = this.waiters[0]!;
      const index = this.pick(next.request);
      if (index === undefined) return;
      this.waiters.shift();
      next.removeAbort();
      next.resolve(this.lease(index, next.request));
    }
  }
}
