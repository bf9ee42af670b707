/** Options of the adaptive debounce; all in ms. */
export interface AdaptiveDebounceOptions {
  /** Base delay (the server's ClientSettings.debounceMs); 0 = request at every human keystroke. */
  initialMs: number;
  /** Lower bound (default: 0 when the base is 0, else max(10, initial/4)). */
  minMs?: number;
  /** Upper bound (default max(initial*4, 400)). */
  maxMs?: number;
  /**
   * Keystrokes closer together than this are machine speed (key repeat, paste, IME, a macro),
   * not typing: they lengthen the delay even when the base is 0 (default 40).
   */
  burstGapMs?: number;
}

/**
 * Adaptive debounce. Why: a fixed delay either fires mid-burst (wasted requests, cancelled right
 * away) or makes a fast server feel slow — with a server that answers within a few decode steps, a
 * fixed 75 ms debounce is most of the latency a user sees. The delay lengthens while keystrokes
 * arrive faster than the base delay (or faster than `burstGapMs`), relaxes back to the base on
 * human-speed keystrokes, and shortens when a request fired after a pause was answered quickly.
 * The server coalesces and cancels too (latest wins), so a base of 0 is safe.
 */
export class AdaptiveDebounce {
  private delay: number;
  private base: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly burstGapMs: number;
  private lastKeyAt: number | undefined;

  constructor(options: AdaptiveDebounceOptions) {
    if (!(options.initialMs >= 0)) throw new RangeError("initialMs must be >= 0");
    this.minMs = options.minMs ?? (options.initialMs === 0 ? 0 : Math.max(10, Math.round(options.initialMs / 4)));
    this.maxMs = options.maxMs ?? Math.max(options.initialMs * 4, 400);
    this.burstGapMs = options.burstGapMs ?? 40;
    this.base = options.initialMs;
    this.delay = this.clamp(options.initialMs);
  }

  /** Current delay in ms. */
  get delayMs(): number {
    return this.delay;
  }

  /** Resets the base (e.g. a new hello with other settings). */
  reset(initialMs: number): void {
    this.base = initialMs;
    this.delay = this.clamp(initialMs);
  }

  /** Records a keystroke at `now`; returns the delay to wait before requesting. */
  keystroke(now: number): number {
    if (this.lastKeyAt !== undefined) {
      const gap = now - this.lastKeyAt;
      if (gap < Math.max(this.base, this.burstGapMs)) {
        // a burst: wait for it to end (at least one burst gap)
        this.delay = this.clamp(Math.max(this.delay * 1.15 + 2, this.burstGapMs));
      } else if (this.delay > this.base) {
        // human-speed typing again: relax towards the base
        const next = this.delay * 0.8;
        this.delay = this.clamp(next <= this.base + 2 ? this.base : next);
      }
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
