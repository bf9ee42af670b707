/**
 * Injectable time source. Everything time-dependent in the client library (debounce, shown
 * threshold, reconnect backoff, retention checks) goes through a Clock so tests can drive time.
 */

/** Opaque timer handle. */
export type TimerHandle = ReturnType<typeof setTimeout> | number | object;

/** A clock: wall time in epoch ms plus one-shot timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock (Date.now + global timers). Timers are unref'd in Node so they never keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    if (typeof t === "object" && t && typeof t.unref === "function") t.unref();
    return t;
  },
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * A manual clock for tests: time only moves on `advance(ms)`, which fires due timers in order.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  /** @param start epoch ms to start at (default 1,000,000) */
  constructor(start = 1_000_000) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }
  /** Number of pending timers. */
  pending(): number {
    return this.timers.size;
  }
  /** Moves time forward by `ms`, running every timer that falls due (including ones scheduled meanwhile). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.current = Math.max(this.current, next[1].at);
      next[1].fn();
    }
    this.current = end;
  }
}
