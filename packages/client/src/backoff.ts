/** Reconnect backoff options. */
export interface BackoffOptions {
  /** First delay in ms (default 250). */
  baseMs?: number;
  /** Upper bound in ms (default 30,000). */
  maxMs?: number;
  /** Fraction of the delay randomised, 0..1 (default 0.5: delay * [0.5, 1.0]). */
  jitter?: number;
  /** Random source in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: attempt 0 waits ~baseMs, each further attempt doubles, capped at
 * maxMs; a random part of the delay (jitter) spreads reconnecting clients apart. Returns ms.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const random = options.random ?? Math.random;
  const raw = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(raw * (1 - jitter * random()));
}
