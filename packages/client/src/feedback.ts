import type { FeedbackEvent } from "@ghostline/protocol";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";

/** Telemetry levels, from least to most shared. */
export type TelemetryLevel = "off" | "metrics" | "code";
const RANK: Record<TelemetryLevel, number> = { off: 0, metrics: 1, code: 2 };

/** The stricter of two levels. */
export function minLevel(a: TelemetryLevel, b: TelemetryLevel): TelemetryLevel {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Options of the feedback reporter. */
export interface FeedbackReporterOptions {
  /** The user's choice; the effective level is never above it. */
  level: TelemetryLevel;
  /** Sends one batch; returns false when it could not be sent (kept for the next flush). */
  send: (events: FeedbackEvent[]) => boolean;
  clock?: Clock;
  /** Batching delay in ms (default 1000). */
  flushMs?: number;
  /** Events kept while disconnected (default 1000; oldest dropped). */
  maxQueue?: number;
  /** Max events per batch (default 500, the protocol limit). */
  maxBatch?: number;
}

/**
 * Collects feedback events and sends them in batches. Why a class: the user's telemetry level must
 * be applied on this machine before anything is queued — at "off" nothing is ever queued or sent,
 * at "metrics" code text (`kept_text`) is stripped; the server's level can only lower it further.
 */
export class FeedbackReporter {
  private userLevel: TelemetryLevel;
  private serverLevel: TelemetryLevel = "code";
  private queue: FeedbackEvent[] = [];
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: FeedbackReporterOptions) {
    this.userLevel = options.level;
    this.clock = options.clock ?? systemClock;
  }

  /** The user's own level (sent in hello). */
  get userTelemetry(): TelemetryLevel {
    return this.userLevel;
  }

  /** The level actually applied: min(user, server). */
  get level(): TelemetryLevel {
    return minLevel(this.userLevel, this.serverLevel);
  }
  setUserLevel(level: TelemetryLevel): void {
    this.userLevel = level;
    if (level === "off") this.queue = [];
  }
  setServerLevel(level: TelemetryLevel): void {
    this.serverLevel = level;
    if (this.level === "off") this.queue = [];
  }

  /** Queues an event (after applying the level); returns whether it was kept. */
  record(event: FeedbackEvent): boolean {
    const level = this.level;
    if (level === "off") return false;
    const e: FeedbackEvent = { ...event, ts: event.ts ?? this.clock.now() };
    if (level !== "code") delete e.kept_text;
    this.queue.push(e);
    const max = this.options.maxQueue ?? 1000;
    if (this.queue.length > max) this.queue.splice(0, this.queue.length - max);
    this.schedule();
    return true;
  }

  /** Sends what is queued now; returns the number of events sent. */
  flush(): number {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    let sent = 0;
    const maxBatch = this.options.maxBatch ?? 500;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, maxBatch);
      if (!this.options.send(batch)) {
        this.schedule();
        break;
      }
      this.queue.splice(0, batch.length);
      sent += batch.length;
    }
    return sent;
  }

  /** Events waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  dispose(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.flushMs ?? 1000);
  }
}
