/**
 * A per-upstream circuit breaker.
 *
 * Why: a dead upstream should cost one fast failure, not a connect timeout per request. After
 * `failureThreshold` consecutive failures the breaker opens and requests skip the upstream; after
 * `coolDownMs` it lets ONE trial request through (half-open): success closes it, failure re-opens
 * it for another cool-down. Single-threaded (JS) use; `now` is injectable for tests.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  /** Defaults: 3 consecutive failures, 5,000 ms cool-down. */
  constructor(
    private readonly opts: { failureThreshold?: number; coolDownMs?: number; now?: () => number } = {},
  ) {
    if ((opts.failureThreshold ?? 3) < 1) throw new RangeError("failureThreshold must be ≥ 1");
    if ((opts.coolDownMs ?? 5_000) < 0) throw new RangeError("coolDownMs must be ≥ 0");
  }

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** "closed" (normal), "open" (skipping), "half-open" (cool-down over, one trial allowed). */
  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === undefined) return "closed";
    return this.now - this.openedAt >= (this.opts.coolDownMs ?? 5_000) ? "half-open" : "open";
  }

  /** Asks to send a request; true = go. In half-open state only one trial at a time gets true. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** The request (or health check) succeeded. */
  onSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  /** The request failed in a way that counts against the upstream (connect error, timeout, 5xx). */
  onFailure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.openedAt !== undefined || this.failures >= (this.opts.failureThreshold ?? 3)) this.openedAt = this.now;
  }

  /** A request ended without verdict (cancelled): frees a half-open trial slot. */
  onNeutral(): void {
    this.trialInFlight = false;
  }
}
