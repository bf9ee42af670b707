/**
 * Fair access to a llama.cpp context's lock for KV edits.
 *
 * Why: node-llama-cpp's batch dispatcher holds the context lock for as long as decodes are queued,
 * and sequences that keep generating re-queue during every native decode, so the queue is never
 * empty at a batch boundary while other documents are busy. A KV edit (eraseContextTokenRanges,
 * clearHistory) takes the same lock, so trimming one document's stale tokens waited until every
 * other generation had finished — measured 75–120 ms with 8 typists, most of a keystroke's latency.
 * The gate closes new decode submissions while an edit is pending: the batch in flight finishes,
 * the queue drains, the dispatcher releases the lock, the edit runs, and submissions resume (they
 * still meet in one batch). The cost is one event-loop turn per edit.
 */
import type { LlamaContextSequence } from "node-llama-cpp";

/** One per llama.cpp context, shared by all its sequences. */
export class ContextGate {
  private pending = 0;
  private waiters: (() => void)[] = [];

  /** Resolves at once unless a KV edit is pending; then when none is. */
  pass(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.pass());
  }

  /** Runs a KV edit with new decode submissions held back until it is done. */
  async exclusive<T>(edit: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await edit();
    } finally {
      this.pending--;
      if (this.pending === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Edits pending now (for tests and metrics). */
  get pendingEdits(): number {
    return this.pending;
  }
}

/**
 * The same sequence, with decodes passing the gate and KV edits run through it. Everything else
 * (nextTokenIndex, compareContextTokens, …) is the sequence's own.
 */
export function gateSequence(sequence: LlamaContextSequence, gate: ContextGate): LlamaContextSequence {
  const controlledEvaluate: LlamaContextSequence["controlledEvaluate"] = async (...args) => {
    await gate.pass();
    return sequence.controlledEvaluate(...args);
  };
  const eraseContextTokenRanges: LlamaContextSequence["eraseContextTokenRanges"] = (ranges) =>
    gate.exclusive(() => sequence.eraseContextTokenRanges(ranges));
  const clearHistory: LlamaContextSequence["clearHistory"] = () => gate.exclusive(() => sequence.clearHistory());
  const own = { controlledEvaluate, eraseContextTokenRanges, clearHistory } as Record<PropertyKey, unknown>;
  return new Proxy(sequence, {
    get(target, prop) {
      if (prop in own) return own[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
