import type { FeedbackEvent } from "@ghostline/protocol";
import type { Clock, TimerHandle } from "./clock.js";
import type { OffsetEdit } from "./documents.js";
import { retainedSimilarity } from "./similarity.js";

/** Default check points after an accept, in seconds. */
export const RETENTION_INTERVALS_S = [30, 120, 300, 600] as const;

/** Options of the retention tracker. */
export interface RetentionTrackerOptions {
  clock: Clock;
  /** Current text of a document, undefined when it is closed. */
  getText: (uri: string) => string | undefined;
  /** Receives retention events. */
  emit: (event: FeedbackEvent) => void;
  /** Check points in seconds (default 30, 120, 300, 600). */
  intervalsS?: readonly number[];
  /** Extra characters on each side of the tracked span searched for the accepted text (default 64). */
  slack?: number;
}

interface Tracked {
  uri: string;
  completionId: string;
  text: string;
  /** Current start of the accepted span (shifted by later edits before it). */
  start: number;
  /** Current end of the span (grows/shrinks with edits inside it). */
  end: number;
  timers: TimerHandle[];
}

/**
 * Measures how much of accepted text survives: at 30 s, 2, 5 and 10 min after an accept it looks
 * for the accepted text in a window around the (edit-shifted) insert point and emits a retention
 * event with the edit similarity. Why stateful: insert points move as the user edits above them,
 * so every document edit is fed in through `onEdits`.
 */
export class RetentionTracker {
  private tracked = new Set<Tracked>();

  constructor(private readonly options: RetentionTrackerOptions) {}

  /** Starts tracking `text` accepted at `offset` (offset of its first character after insertion). */
  track(uri: string, completionId: string, offset: number, text: string): void {
    if (!text) return;
    const entry: Tracked = { uri, completionId, text, start: offset, end: offset + text.length, timers: [] };
    const intervals = this.options.intervalsS ?? RETENTION_INTERVALS_S;
    const last = intervals[intervals.length - 1];
    for (const s of intervals) {
      entry.timers.push(
        this.options.clock.setTimeout(() => {
          this.check(entry, s);
          if (s === last) this.tracked.delete(entry);
        }, s * 1000),
      );
    }
    this.tracked.add(entry);
  }

  /** Shifts tracked spans by edits applied to `uri` (offsets relative to the text before each edit). */
  onEdits(uri: string, edits: readonly OffsetEdit[]): void {
    for (const t of this.tracked) {
      if (t.uri !== uri) continue;
      for (const e of edits) {
        const delta = e.inserted.length - e.removed;
        const editEnd = e.start + e.removed;
        if (editEnd <= t.start) {
          t.start += delta;
          t.end += delta;
        } else if (e.start >= t.end) {
          continue;
        } else {
          t.start = Math.min(t.start, e.start);
          t.end = Math.max(t.start, t.end + delta);
        }
      }
    }
  }

  /** Stops tracking a closed document (no events for it any more). */
  forget(uri: string): void {
    for (const t of [...this.tracked]) if (t.uri === uri) this.stop(t);
  }

  /** Number of accepts still being tracked. */
  get size(): number {
    return this.tracked.size;
  }

  dispose(): void {
    for (const t of [...this.tracked]) this.stop(t);
  }

  private stop(t: Tracked): void {
    for (const h of t.timers) this.options.clock.clearTimeout(h);
    this.tracked.delete(t);
  }

  private check(t: Tracked, intervalS: number): void {
    const text = this.options.getText(t.uri);
    if (text === undefined) return;
    const slack = this.options.slack ?? 64;
    const from = Math.max(0, t.start - slack);
    const to = Math.min(text.length, Math.max(t.end, t.start) + slack);
    const { similarity, kept } = retainedSimilarity(t.text, text.slice(from, to));
    this.options.emit({
      type: "retention",
      completion_id: t.completionId,
      interval_s: intervalS,
      similarity: Math.round(similarity * 1000) / 1000,
      kept_text: kept,
    });
  }
}
