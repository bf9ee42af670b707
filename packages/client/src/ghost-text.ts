import type { FeedbackEvent, WireUsage } from "@ghostline/protocol";
import type { CompletionParams, CompletionResult, CompletionTarget, DeltaListener } from "./client.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { AdaptiveDebounce } from "./debounce.js";
import { positionAt } from "./documents.js";
import { nextLineLength, nextWordLength } from "./partial-accept.js";
import type { RetentionTracker } from "./retention.js";

/** Ghost-text states: nothing / request sent / text arriving and visible / complete and visible. */
export type GhostState = "idle" | "requesting" | "streaming" | "shown";

/** What the editor looks like after a change: full text and cursor offset (UTF-16). */
export interface EditorSnapshot {
  uri: string;
  text: string;
  cursor: number;
}

/** The part of GhostlineClient the controller needs (a fake in tests). */
export interface CompletionSource {
  complete(
    target: CompletionTarget,
    options: { signal?: AbortSignal; onDelta?: DeltaListener; params?: CompletionParams },
  ): Promise<CompletionResult>;
  reportFeedback(event: FeedbackEvent): boolean;
  settings: { debounceMs: number; shownThresholdMs: number };
}

/** The visible suggestion. */
export interface GhostSuggestion {
  uri: string;
  /** Offset where the ghost text starts (the cursor). */
  offset: number;
  /** Ghost text still to show (already typed/accepted characters trimmed). */
  text: string;
  state: GhostState;
  completionId?: string;
  usage?: WireUsage;
  firstDeltaMs?: number;
  /** Characters of this suggestion accepted so far. */
  acceptedChars: number;
  /** Characters the user typed through. */
  typedChars: number;
}

interface Suggestion {
  uri: string;
  requestOffset: number;
  stream: string;
  consumed: number;
  typed: number;
  accepted: string;
  acceptedStart?: number;
  done: boolean;
  completionId?: string;
  usage?: WireUsage;
  firstDeltaMs?: number;
  visibleSince?: number;
  shownTimer?: TimerHandle;
  shownDue: boolean;
  shownReported: boolean;
  /** Events waiting for the completion id (which arrives with the first delta, else with `done`). */
  deferred: Omit<FeedbackEvent, "completion_id">[];
  /** Callbacks run when the stream ends. */
  afterDone: (() => void)[];
  closed: boolean;
}

/** Options of the ghost-text controller. */
export interface GhostTextOptions {
  source: CompletionSource;
  clock?: Clock;
  debounce?: AdaptiveDebounce;
  retention?: RetentionTracker;
  /** Extra parameters for every request (mode, max_tokens, ...). */
  params?: CompletionParams;
  /** After typing through a complete suggestion, re-request on pause with the rest as client_draft (default true). */
  refreshOnPause?: boolean;
}

/**
 * Ghost-text state machine for one editor. Why stateful: it owns the suggestion across keystrokes —
 * characters typed that match the suggestion trim it instead of re-requesting; the rest goes to the
 * server as `client_draft` on the next request (cheap to verify speculatively); partial accepts
 * trim it too. It sends shown (after ClientSettings.shownThresholdMs visible), accepted,
 * partially_accepted and dismissed events and hands accepts to the retention tracker.
 * Concurrency: single-threaded; late results of superseded requests are ignored.
 */
export class GhostTextController {
  private state: GhostState = "idle";
  private s: Suggestion | undefined;
  private last: EditorSnapshot | undefined;
  private lastFinished: Suggestion | undefined;
  private timer: TimerHandle | undefined;
  private inflight: { abort: AbortController; done: Promise<void>; refresh: boolean } | undefined;
  private listeners = new Set<(s: GhostSuggestion | undefined) => void>();
  private readonly clock: Clock;
  readonly debounce: AdaptiveDebounce;

  constructor(private readonly options: GhostTextOptions) {
    this.clock = options.clock ?? systemClock;
    this.debounce = options.debounce ?? new AdaptiveDebounce({ initialMs: options.source.settings.debounceMs });
  }

  /** Current state. */
  get status(): GhostState {
    return this.state;
  }

  /** The visible suggestion, if any. */
  current(): GhostSuggestion | undefined {
    const s = this.s;
    if (!s || s.closed || s.visibleSince === undefined) return undefined;
    const text = s.stream.slice(s.consumed);
    if (!text) return undefined;
    return {
      uri: s.uri,
      offset: s.requestOffset + s.consumed,
      text,
      state: this.state,
      completionId: s.completionId,
      usage: s.usage,
      firstDeltaMs: s.firstDeltaMs,
      acceptedChars: s.accepted.length,
      typedChars: s.typed,
    };
  }

  /** Subscribes to suggestion changes; returns the remover. */
  onChange(listener: (s: GhostSuggestion | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Feeds the editor state after a text change or cursor move. Typing that matches the suggestion
   * trims it; anything else dismisses it. A text change schedules a (debounced) request when
   * `request` is true (default).
   */
  update(snap: EditorSnapshot, options: { request?: boolean } = {}): void {
    const prev = this.last;
    if (prev && prev.uri === snap.uri && prev.cursor === snap.cursor && prev.text === snap.text) return;
    this.last = { ...snap };
    const request = options.request ?? true;
    const s = this.s;
    if (s && prev && s.uri === snap.uri && prev.uri === snap.uri) {
      const anchor = s.requestOffset + s.consumed;
      if (snap.text === prev.text) {
        if (snap.cursor !== anchor) this.dismiss();
        return;
      }
      const inserted = insertionAt(prev.text, snap.text, anchor);
      const remaining = s.stream.slice(s.consumed);
      if (inserted !== undefined && snap.cursor === anchor + inserted.length && inserted.length > 0 && remaining.startsWith(inserted)) {
        s.consumed += inserted.length;
        s.typed += inserted.length;
        if (s.done && s.consumed >= s.stream.length) {
          this.finish(s);
          if (request) this.schedule();
        } else if (s.done && request && this.options.refreshOnPause !== false) {
          this.schedule(true);
        }
        this.emit();
        return;
      }
      this.dismiss();
    } else if (s && s.uri !== snap.uri) {
      this.dismiss();
    }
    const textChanged = !prev || prev.uri !== snap.uri || prev.text !== snap.text;
    if (textChanged && request) this.schedule();
    else if (!textChanged) {
      this.cancelPending();
      this.abortInflight();
    }
  }

  /** Requests now (no debounce), e.g. on an explicit trigger. */
  triggerNow(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.fire(false);
  }

  /**
   * The suggestion at `snap`, waiting for the current or a new (undebounced) request to finish.
   * Used by pull-style editors (LSP, VS Code). Returns undefined when there is none.
   */
  async suggestAt(snap: EditorSnapshot, signal?: AbortSignal): Promise<GhostSuggestion | undefined> {
    this.update(snap, { request: false });
    if (signal?.aborted) return undefined;
    const c = this.current();
    const s = this.s;
    if (c && s?.done) return c;
    if (!s || s.closed || !this.inflight) this.triggerNow();
    const inflight = this.inflight;
    if (inflight) {
      const onAbort = (): void => {
        if (!this.current()) this.abortInflight();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await inflight.done;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
    if (signal?.aborted) return undefined;
    return this.current();
  }

  /** Accepts all of the suggestion; returns what to insert at `offset` (undefined when none). */
  acceptAll(): { offset: number; text: string } | undefined {
    return this.accept("all");
  }
  /** Accepts the next word. */
  acceptNextWord(): { offset: number; text: string } | undefined {
    return this.accept("word");
  }
  /** Accepts the next line. */
  acceptNextLine(): { offset: number; text: string } | undefined {
    return this.accept("line");
  }

  /**
   * Records an accept the editor already applied (VS Code / LSP / Monaco native accept): the
   * inserted text was seen by `update` as typing-through; this turns it into accept feedback.
   */
  notifyAccepted(unit: "all" | "word" | "line", text: string): void {
    const s = this.s && this.s.typed >= text.length ? this.s : this.lastFinished;
    if (!s || !text) return;
    s.typed = Math.max(0, s.typed - text.length);
    const offset = this.last ? this.last.cursor - text.length : 0;
    s.acceptedStart ??= offset;
    s.accepted += text;
    this.report(s, unit === "all" ? { type: "accepted", accepted_chars: s.accepted.length, unit } : { type: "partially_accepted", accepted_chars: text.length, unit });
    if (unit === "all") this.track(s);
  }

  /** Hides the suggestion (Escape, cursor moved, mismatch); sends `dismissed` if it was visible. */
  dismiss(): void {
    this.cancelPending();
    this.abortInflight();
    const s = this.s;
    if (!s) return;
    if (s.visibleSince !== undefined && s.stream.length > s.consumed) this.report(s, { type: "dismissed" });
    if (s.accepted) this.track(s);
    this.close(s);
    this.setState("idle");
  }

  dispose(): void {
    this.dismiss();
    this.listeners.clear();
  }

  private accept(unit: "all" | "word" | "line"): { offset: number; text: string } | undefined {
    const s = this.s;
    const c = this.current();
    if (!s || !c) return undefined;
    const len = unit === "all" ? c.text.length : unit === "word" ? nextWordLength(c.text) : nextLineLength(c.text);
    const text = c.text.slice(0, len);
    const offset = c.offset;
    s.consumed += len;
    s.acceptedStart ??= offset;
    s.accepted += text;
    if (this.last) {
      this.last = { uri: this.last.uri, text: this.last.text.slice(0, offset) + text + this.last.text.slice(offset), cursor: offset + len };
    }
    const full = s.done && s.consumed >= s.stream.length;
    if (unit === "all" || full) {
      this.report(s, { type: "accepted", accepted_chars: s.accepted.length, unit: "all" });
      this.track(s);
      this.close(s);
      this.setState("idle");
      if (s.done) this.schedule();
      else s.afterDone.push(() => this.s === undefined && this.schedule());
    } else {
      this.report(s, { type: "partially_accepted", accepted_chars: len, unit });
      this.emit();
    }
    return { offset, text };
  }

  private schedule(refresh = false): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const delay = this.debounce.keystroke(this.clock.now());
    if (!refresh) this.abortInflight();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.fire(refresh);
    }, delay);
  }

  private fire(refresh: boolean): void {
    const snap = this.last;
    if (!snap) return;
    const old = this.s && !this.s.closed ? this.s : undefined;
    const draft = old ? old.stream.slice(old.consumed) : "";
    const isRefresh = refresh && !!old && old.done;
    let target: Suggestion | undefined;
    if (!isRefresh) {
      if (old) this.dismiss();
      target = this.newSuggestion(snap);
      this.s = target;
      this.setState("requesting");
    }
    this.abortInflight();
    const abort = new AbortController();
    const params: CompletionParams = { ...this.options.params };
    if (draft) params.client_draft = draft.slice(0, 4000);
    const done = this.options.source
      .complete(
        { uri: snap.uri, position: positionAt(snap.text, snap.cursor) },
        {
          signal: abort.signal,
          params,
          onDelta: (_d, soFar, completionId) => {
            if (target && completionId !== undefined && target.completionId === undefined) this.named(target, completionId);
            if (!target || this.s !== target || target.closed) return;
            target.stream = soFar;
            this.showIfVisible(target);
            this.emit();
          },
        },
      )
      .then((r) => this.onDone(target, r, snap));
    this.inflight = { abort, done, refresh: isRefresh };
    void done.finally(() => {
      if (this.inflight?.abort === abort) this.inflight = undefined;
    });
  }

  private onDone(target: Suggestion | undefined, r: CompletionResult, snap: EditorSnapshot): void {
    const ok = r.stopReason !== "cancelled" && r.stopReason !== "error";
    if (r.firstDeltaMs !== undefined) this.debounce.served(r.firstDeltaMs);
    if (!target) {
      // refresh: replace the shown suggestion when the editor is still where the request was made
      const cur = this.s;
      if (!ok || !r.text || !cur || !this.last || this.last.cursor !== snap.cursor || this.last.text !== snap.text) return;
      this.close(cur);
      target = this.newSuggestion(snap);
      this.s = target;
    }
    if (ok) target.stream = r.text;
    target.done = true;
    // A cancelled completion keeps the id its first delta gave: the server recorded what it streamed.
    target.completionId = ok ? r.completionId : (target.completionId ?? (r.stopReason === "cancelled" ? r.completionId : undefined));
    target.usage = r.usage;
    target.firstDeltaMs = r.firstDeltaMs;
    if (target.completionId) this.named(target, target.completionId);
    target.deferred = [];
    for (const fn of target.afterDone.splice(0)) fn();
    if (target.closed || this.s !== target) return;
    this.showIfVisible(target);
    if (target.consumed >= target.stream.length) this.finish(target);
    else this.setState("shown");
  }

  private newSuggestion(snap: EditorSnapshot): Suggestion {
    return {
      uri: snap.uri,
      requestOffset: snap.cursor,
      stream: "",
      consumed: 0,
      typed: 0,
      accepted: "",
      done: false,
      shownDue: false,
      shownReported: false,
      deferred: [],
      afterDone: [],
      closed: false,
    };
  }

  private showIfVisible(s: Suggestion): void {
    if (s.visibleSince !== undefined || s.stream.length <= s.consumed) return;
    s.visibleSince = this.clock.now();
    if (!s.done) this.setState("streaming", false);
    s.shownTimer = this.clock.setTimeout(() => {
      s.shownTimer = undefined;
      if (s.closed) return;
      s.shownDue = true;
      if (s.completionId) this.reportShown(s);
    }, this.options.source.settings.shownThresholdMs);
  }

  private reportShown(s: Suggestion): void {
    s.shownReported = true;
    this.report(s, { type: "shown", visible_ms: this.clock.now() - (s.visibleSince ?? this.clock.now()) });
  }

  /** The completion id is known (first delta or `done`): sends the events that waited for it. */
  private named(s: Suggestion, completionId: string): void {
    s.completionId = completionId;
    for (const e of s.deferred.splice(0)) this.options.source.reportFeedback({ ...e, completion_id: completionId });
    if (s.shownDue && !s.shownReported) this.reportShown(s);
  }

  /** Sends an event now, or once the completion id arrives (dropped if it never does). */
  private report(s: Suggestion, event: Omit<FeedbackEvent, "completion_id">): void {
    if (s.completionId) this.options.source.reportFeedback({ ...event, completion_id: s.completionId });
    else if (!s.done) s.deferred.push(event);
  }

  private track(s: Suggestion): void {
    if (!s.accepted || s.acceptedStart === undefined) return;
    const text = s.accepted;
    const start = s.acceptedStart;
    s.accepted = "";
    const go = (): void => {
      if (s.completionId) this.options.retention?.track(s.uri, s.completionId, start, text);
    };
    if (s.done || s.completionId) go();
    else s.afterDone.push(go);
  }

  private finish(s: Suggestion): void {
    this.lastFinished = s;
    this.close(s);
    this.setState("idle");
  }

  private close(s: Suggestion): void {
    if (s.shownTimer !== undefined) this.clock.clearTimeout(s.shownTimer);
    s.shownTimer = undefined;
    s.closed = true;
    if (this.s === s) this.s = undefined;
  }

  private cancelPending(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private abortInflight(): void {
    const i = this.inflight;
    this.inflight = undefined;
    i?.abort.abort();
  }

  private setState(state: GhostState, notify = true): void {
    this.state = state;
    if (notify) this.emit();
  }

  private emit(): void {
    const c = this.current();
    for (const l of this.listeners) l(c);
  }
}

/** The text inserted at `at` when `after` is `before` with an insertion there; undefined otherwise. */
function insertionAt(before: string, after: string, at: number): string | undefined {
  const n = after.length - before.length;
  if (n <= 0 || at > before.length) return undefined;
  if (!after.startsWith(before.slice(0, at))) return undefined;
  if (after.slice(at + n) !== before.slice(at)) return undefined;
  return after.slice(at, at + n);
}
