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
 *
 * It also gives a keystroke's new request a batch of its own: until its first token, passes of
 * generations that are already streaming wait (at most URGENT_HOLD_MS), so the new request's
 * first pass does not carry their tokens too.
 */
import type { LlamaContextSequence } from "node-llama-cpp";

/**
 * Longest a continuing generation's pass is held back while another document's new request is
 * getting its first token (ms): keystrokes never starve running generations for long.
 */
export const URGENT_HOLD_MS = 8;

/** One per llama.cpp context, shared by all its sequences. */
export class ContextGate {
  private pending = 0;
  private urgent = 0;
  private waiters: (() => void)[] = [];

  /**
   * Resolves at once unless a KV edit is pending, or (for a pass that is not `urgent`) while a
   * new request is before its first token, for at most URGENT_HOLD_MS.
   */
  pass(urgent = false, holdUntil?: number): Promise<void> {
    const now = performance.now();
    const until = holdUntil ?? now + URGENT_HOLD_MS;
    const held = !urgent && this.urgent > 0 && now < until;
    if (this.pending === 0 && !held) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      if (held && this.pending === 0) setTimeout(resolve, until - now);
    }).then(() => this.pass(urgent, until));
  }

  /**
   * Marks a new request's way to its first token: until the returned function is called, passes
   * of other (continuing) generations wait, so the new request's first pass is not batched with
   * theirs. Idempotent end.
   */
  beginUrgent(): () => void {
    this.urgent++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.urgent--;
      if (this.urgent === 0) this.wake();
    };
  }

  /** Runs a KV edit with new decode submissions held back until it is done. */
  async exclusive<T>(edit: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await edit();
    } finally {
      this.pending--;
      if (this.pending === 0) this.wake();
    }
  }

  /** Edits pending now (for tests and metrics). */
  get pendingEdits(): number {
    return this.pending;
  }

  /** Requests before their first token now (for tests and metrics). */
  get urgentRequests(): number {
    return this.urgent;
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

const urgency = new WeakMap<object, () => () => void>();

/**
 * Marks `sequence` (a gated one) urgent until the returned function is called: its passes go
 * ahead of continuing generations'. A no-op for sequences that are not gated.
 */
export function beginUrgent(sequence: LlamaContextSequence): () => void {
  return urgency.get(sequence)?.() ?? (() => {});
}

/**
 * The same sequence, with decodes passing the gate and KV edits run through it. Everything else
 * (nextTokenIndex, compareContextTokens, …) is the sequence's own.
 */
export function gateSequence(sequence: LlamaContextSequence, gate: ContextGate): LlamaContextSequence {
  let urgentScopes = 0;
  const controlledEvaluate: LlamaContextSequence["controlledEvaluate"] = async (...args) => {
    await gate.pass(urgentScopes > 0);
    return sequence.controlledEvaluate(...args);
  };
  const eraseContextTokenRanges: LlamaContextSequence["eraseContextTokenRanges"] = (ranges) =>
    gate.exclusive(() => sequence.eraseContextTokenRanges(ranges));
  const clearHistory: LlamaContextSequence["clearHistory"] = () => gate.exclusive(() => sequence.clearHistory());
  const own = { controlledEvaluate, eraseContextTokenRanges, clearHistory } as Record<PropertyKey, unknown>;
  const proxy = new Proxy(sequence, {
    get(target, prop) {
      if (prop in own) return own[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  urgency.set(proxy, () => {
    urgentScopes++;
    const end = gate.beginUrgent();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      urgentScopes--;
      end();
    };
  });
  return proxy;
}
