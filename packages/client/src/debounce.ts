/** Options of the adaptive debounce; all in ms. */
export interface AdaptiveDebounceOptions {
  /** Starting delay (the server's ClientSettings.debounceMs). */
  initialMs: number;
  /** Lower bound (default max(10, initial/4)). */
  minMs?: number;
  /** Upper bound (default max(initial*4, 400)). */
  maxMs?: number;
}

/**
 * Adaptive debounce. Why: a fixed delay either fires mid-burst (wasted requests, cancelled right
 * away) or makes a fast server feel slow. The delay lengthens while the user types in bursts
 * (keystrokes arrive faster than the current delay) and shortens when a request fired after a
 * real pause was answered quickly by the server (first delta sooner than the delay).
 */
export class AdaptiveDebounce {
  private delay: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private lastKeyAt: number | undefined;

  constructor(options: AdaptiveDebounceOptions) {
    if (!(options.initialMs >= 0)) throw new RangeError("initialMs must be >= 0");
    this.minMs = options.minMs ?? Math.max(10, Math.round(options.initialMs / 4));
    this.maxMs = options.maxMs ?? Math.max(options.initialMs * 4, 400);
    this.delay = this.clamp(options.initialMs);
  }

  /** Current delay in ms. */
  get delayMs(): number {
    return this.delay;
  }

  /** Resets the base (e.g. a new hello with other settings). */
  reset(initialMs: number): void {
    this.delay = this.clamp(initialMs);
  }

  /** Records a keystroke at `now`; returns the delay to wait before requesting. */
  keystroke(now: number): number {
    if (this.lastKeyAt !== undefined) {
      const gap = now - this.lastKeyAt;
      if (gap < this.delay) this.delay = this.clamp(this.delay * 1.15 + 2); // typing burst
    }
    this.lastKeyAt = now;
    return this.delay;
  }

  /**
   * Records the server's time to first delta (ms) for a request that fired after the debounce
   * elapsed (the user paused). Fast answers shorten the delay; slow ones relax it back up.
   */
  served(firstDeltaMs: number): void {
    if (firstDeltaMs < this.delay) this.delay = this.clamp(this.delay * 0.85);
    else if (firstDeltaMs > this.delay * 3) this.delay = this.clamp(this.delay * 1.05);
  }

  private clamp(v: number): number {
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, v)));
  }
}
