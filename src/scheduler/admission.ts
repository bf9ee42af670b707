/**
 * Admission control and load shedding in front of an engine.
 *
 * Why: the engine queues internally by priority, but an unbounded queue turns overload into
 * multi-second latency for everybody (completions are worthless when late). Admission tracks the
 * generations handed to the engine: up to `sequences` run, up to `queueLimit` more wait; beyond
 * that a request is shed with GhostlineError("overloaded") before it produces any event.
 * Per-tenant fairness: once requests have to wait, a tenant may hold at most its fair share
 * (ceil(capacity / active tenants)) of the slots, so one noisy tenant cannot starve the others.
 * Priorities come from a monotonically increasing arrival counter: the newest keystroke wins.
 *
 * Concurrency contract: synchronous, single event loop; every admitted ticket must be released
 * exactly once (release is idempotent).
 */
import { GhostlineError } from "../core/errors.js";

/** Options of the admission controller. */
export interface AdmissionOptions {
  /** Engine sequences (generations that run at once). */
  sequences: number;
  /** Max generations waiting beyond `sequences` (0 = no queue). */
  queueLimit: number;
}

/** A held slot; `release()` frees it (idempotent). */
export interface AdmissionTicket {
  readonly tenant: string;
  readonly priority: number;
  release(): void;
}

/** Counters of an admission controller. */
export interface AdmissionStats {
  active: number;
  queued: number;
  shed: number;
  tenants: number;
}

/** The admission controller (see file comment). */
export class Admission {
  private readonly perTenant = new Map<string, number>();
  private active = 0;
  private shedCount = 0;
  private counter = 0;

  constructor(private readonly options: AdmissionOptions) {
    if (!Number.isInteger(options.sequences) || options.sequences < 1) throw new RangeError("sequences must be an integer >= 1");
    if (!Number.isInteger(options.queueLimit) || options.queueLimit < 0) throw new RangeError("queueLimit must be an integer >= 0");
  }

  /** Total slots (running + waiting). */
  get capacity(): number {
    return this.options.sequences + this.options.queueLimit;
  }

  /** The next arrival priority (higher = newer = served first). */
  nextPriority(): number {
    return ++this.counter;
  }

  /**
   * Admits a generation for `tenant` or throws GhostlineError("overloaded").
   * `optional` admissions (prefetch) are only granted when a sequence is free right now.
   */
  admit(tenant: string, opts: { optional?: boolean; priority?: number } = {}): AdmissionTicket {
    const held = this.perTenant.get(tenant) ?? 0;
    const wouldWait = this.active >= this.options.sequences;
    if (opts.optional && wouldWait) throw this.shed("no idle sequence for a prefetch", false);
    if (wouldWait) {
      if (this.active >= this.capacity) throw this.shed("queue full");
      const tenants = this.perTenant.size + (held === 0 ? 1 : 0);
      const share = Math.ceil(this.capacity / tenants);
      if (tenants > 1 && held >= share) throw this.shed("tenant over its fair share");
    }
    this.active++;
    this.perTenant.set(tenant, held + 1);
    let released = false;
    const priority = opts.priority ?? this.nextPriority();
    return {
      tenant,
      priority,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        const n = (this.perTenant.get(tenant) ?? 1) - 1;
        if (n <= 0) this.perTenant.delete(tenant);
        else this.perTenant.set(tenant, n);
      },
    };
  }

  stats(): AdmissionStats {
    return {
      active: this.active,
      queued: Math.max(0, this.active - this.options.sequences),
      shed: this.shedCount,
      tenants: this.perTenant.size,
    };
  }

  private shed(reason: string, count = true): GhostlineError {
    if (count) this.shedCount++;
    return new GhostlineError("overloaded", undefined, { details: { reason } });
  }
}
