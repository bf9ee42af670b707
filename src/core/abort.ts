/**
 * Abort helpers. Every listener registration returns its remover, to be called in `finally`.
 */

/** Registers `fn` to run once when `signal` aborts (immediately if already aborted); returns the remover. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

/** An AbortController that aborts when any of `signals` aborts; `dispose()` removes the listeners. */
export function linkedAbort(...signals: (AbortSignal | undefined)[]): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const removers = signals.map((s) => onAbort(s, () => controller.abort(s?.reason)));
  return { controller, dispose: () => removers.forEach((r) => r()) };
}

/** Resolves after `ms` milliseconds, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      remove();
      resolve();
    }, ms);
    const remove = onAbort(signal, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
