/**
 * One engine generation shared by one or more requests.
 *
 * Why a class: a generation outlives the request that started it. Typing-through attaches a newer
 * request to a running (or finished) generation and serves it the text after the typed characters;
 * the superseded request detaches. The engine stream is pumped in the background and buffered in
 * `text`; subscribers read from their own offset. When the last subscriber detaches and nothing
 * keeps the generation alive (a prefetch), the engine is aborted, so a cancelled request costs at
 * most one decode step of engine time.
 *
 * Concurrency contract: all methods are called from the event loop (no locking); `notify` wakes
 * every waiting subscriber, which re-reads the state synchronously before waiting again.
 */
import type { Engine, EngineRequest, StopReason, Usage } from "../core/types.js";
import { GhostlineError, toGhostlineError } from "../core/errors.js";

/** The final outcome of a generation. `text` is the full generated middle. */
export interface GenerationResult {
  text: string;
  stopReason: StopReason;
  usage: Usage;
  /** Likely next characters other than the text's first (when the request asked for them). */
  alternatives?: string[];
}

/** A reader of a generation; `wake` is set while the reader waits for more events. */
export interface GenerationSubscriber {
  wake?: () => void;
  cancelled: boolean;
}

/** Usage with every count and timing zero (cancelled before start, cache hits). */
export function emptyUsage(): Usage {
  return {
    promptTokens: 0,
    promptTokensReused: 0,
    promptTokensEvaluated: 0,
    completionTokens: 0,
    timings: { queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0 },
    truncated: false,
  };
}

/** Options of a Generation: what it generates and the hooks the manager uses for bookkeeping. */
export interface GenerationOptions {
  engine: Engine;
  request: EngineRequest;
  /** Lookup identity: the exact prompt text and a key of everything else that shapes the output. */
  prefix: string;
  suffix: string;
  paramsKey: string;
  /** Called once when the engine stream has ended (or the generation was aborted before start). */
  onFinish?: (gen: Generation) => void;
  /** Called once when the generation is aborted (no reader left); used to free admission slots. */
  onAbort?: (gen: Generation) => void;
  /**
   * Multi-line pacing: `now` (epoch ms) and whether a held generation should end at its first
   * line at once (others wait for an engine slot: the rest of a suggestion is the first thing to
   * shed). See `holdUntil`.
   */
  pace?: { now: () => number; shed: () => boolean };
}

/**
 * Where a completion's first line ends: the first "\n" after non-blank text (as line mode cuts),
 * or -1 while that line is still open.
 */
export function firstLineEnd(text: string): number {
  const m = /\S[^\n]*\n/.exec(text);
  return m ? m.index + m[0].length - 1 : -1;
}

/** Longest single sleep of a held generation (ms): `shed` is checked this often. */
const HOLD_POLL_MS = 25;

let nextGenerationId = 1;

/** A shared, buffered engine generation (see the file comment). */
export class Generation {
  readonly id = nextGenerationId++;
  readonly prefix: string;
  readonly suffix: string;
  readonly paramsKey: string;
  /** Text streamed so far (all of it once finished: equals `result.text`). */
  text = "";
  /** Completion tokens streamed so far. */
  tokens = 0;
  result: GenerationResult | undefined;
  error: GhostlineError | undefined;
  started = false;
  finished = false;
  aborted = false;
  /** Keeps the engine running with no reader (prefetch); cleared when a reader attaches. */
  keepAlive = false;
  /**
   * Multi-line pacing (epoch ms): the engine stream is not read past the completion's first line
   * before this time, which suspends an in-process engine's decoding there. The manager sets it
   * while the user is typing (a keystroke is expected sooner and would supersede the rest) and
   * moves it when a keystroke types through the text.
   */
  holdUntil: number | undefined;
  /** Times the stream was held after its first line (0 or 1). */
  held = 0;
  /**
   * Parked (see `park`): the engine stream is not read past the delta in hand, which suspends an
   * in-process engine's decoding there, until a reader attaches or the generation is aborted.
   */
  parked = false;
  /** Set while the pump waits out a park; calling it resumes the pump. */
  private wakePark: (() => void) | undefined;
  /** Set while the stream is held; calling it ends the hold at once. */
  private wakeHold: (() => void) | undefined;
  /** Aborted while held: the generation ends as a finished first-line completion. */
  private endAtLine = false;
  /** Resolves once the generation has finished (engine stream ended, or aborted before start). */
  readonly whenFinished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly controller = new AbortController();
  private readonly subscribers = new Set<GenerationSubscriber>();
  private readonly options: GenerationOptions | undefined;

  private constructor(options: GenerationOptions | undefined, prefix: string, suffix: string, paramsKey: string) {
    this.options = options;
    this.whenFinished = new Promise((r) => (this.resolveFinished = r));
    this.prefix = prefix;
    this.suffix = suffix;
    this.paramsKey = paramsKey;
  }

  /** A generation that will run on the engine once `start()` is called. */
  static create(options: GenerationOptions): Generation {
    return new Generation(options, options.prefix, options.suffix, options.paramsKey);
  }

  /** An already finished generation (served from the cache). */
  static finishedWith(result: GenerationResult, ident: { prefix: string; suffix: string; paramsKey: string }): Generation {
    const gen = new Generation(undefined, ident.prefix, ident.suffix, ident.paramsKey);
    gen.text = result.text;
    gen.tokens = result.usage.completionTokens;
    gen.result = result;
    gen.started = true;
    gen.finished = true;
    gen.resolveFinished();
    return gen;
  }

  /** Number of attached readers. */
  get readers(): number {
    return this.subscribers.size;
  }

  /** True while the generation can still produce text. */
  get live(): boolean {
    return !this.finished && !this.aborted;
  }

  /** True when finished normally (not cancelled, not failed): reusable and cacheable. */
  get succeeded(): boolean {
    return this.finished && !this.error && this.result !== undefined && this.result.stopReason !== "cancelled" && this.result.stopReason !== "error";
  }

  /** Starts pumping the engine stream. No-op if already started, finished or aborted. */
  start(): void {
    if (this.started || this.finished || !this.options) return;
    if (this.aborted) {
      this.finishCancelled();
      return;
    }
    this.started = true;
    void this.pump(this.options);
  }

  /** Attaches a reader; clears keepAlive (the reader now owns the generation's life) and ends a park. */
  attach(): GenerationSubscriber {
    const sub: GenerationSubscriber = { cancelled: false };
    this.subscribers.add(sub);
    this.keepAlive = false;
    if (this.parked) {
      this.parked = false;
      this.wakePark?.();
      this.wakeHold?.(); // a held one re-checks its hold without the park
    }
    return sub;
  }

  /**
   * Parks a generation whose last reader is about to leave (an HTTP client that aborted at a
   * keystroke): it stays alive (keepAlive) but decodes nothing more until a newer request types
   * through it and attaches (which resumes it) or the manager aborts it. Costs its sequence slot,
   * no compute: at most the pass in flight completes.
   */
  park(): void {
    if (!this.live) return;
    this.keepAlive = true;
    this.parked = true;
  }

  /** Detaches a reader; aborts the engine when nobody is left and nothing keeps it alive. */
  detach(sub: GenerationSubscriber): void {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0 && !this.keepAlive) this.abort();
  }

  /** Cancels every attached reader (latest wins); they end with stopReason "cancelled". */
  cancelReaders(except?: GenerationSubscriber): void {
    for (const sub of [...this.subscribers]) {
      if (sub === except) continue;
      sub.cancelled = true;
      wakeOne(sub);
    }
  }

  /** Stops the engine (idempotent). A generation aborted before `start()` never reaches the engine. */
  abort(): void {
    if (this.finished || this.aborted) return;
    this.aborted = true;
    this.parked = false;
    if (this.wakeHold) {
      this.endHeldAtLine();
      return;
    }
    this.controller.abort(new GhostlineError("internal", "superseded"));
    this.wakePark?.();
    this.options?.onAbort?.(this);
    if (!this.started) this.finishCancelled();
  }

  private finishCancelled(): void {
    if (this.finished) return;
    this.result = { text: this.text, stopReason: "cancelled", usage: emptyUsage() };
    this.finished = true;
    this.resolveFinished();
    this.notify();
    this.options?.onFinish?.(this);
  }

  private notify(): void {
    for (const sub of this.subscribers) wakeOne(sub);
  }

  /**
   * Ends a held generation at its first line, which was delivered in full: a finished single-line
   * completion (the pump stops reading, which stops the engine); nothing after it was decoded.
   */
  private endHeldAtLine(): void {
    this.endAtLine = true;
    this.aborted = true;
    this.options?.onAbort?.(this);
    this.wakeHold?.();
  }

  /** A held generation re-checks its hold now (the manager calls it when a request starts queueing). */
  recheckHold(): void {
    this.wakeHold?.();
  }

  /** Waits until `holdUntil` (which may move meanwhile) or an abort; ends at the first line when `shed()`. */
  private async hold(pace: NonNullable<GenerationOptions["pace"]>): Promise<void> {
    this.held = 1;
    const signal = this.controller.signal;
    try {
      for (;;) {
        // parked (no reader): hold on past holdUntil, until a reader attaches or the manager ends it
        const wait = this.parked ? HOLD_POLL_MS : (this.holdUntil ?? 0) - pace.now();
        if (!this.endAtLine && pace.shed()) this.endHeldAtLine();
        if (wait <= 0 || signal.aborted || this.endAtLine) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            this.wakeHold = undefined;
            resolve();
          };
          const timer = setTimeout(done, Math.min(wait, HOLD_POLL_MS));
          signal.addEventListener("abort", done, { once: true });
          this.wakeHold = done;
        });
      }
    } finally {
      this.wakeHold = undefined;
    }
  }

  /** Waits until the park ends (a reader attached) or the generation is aborted. */
  private async waitUnparked(): Promise<void> {
    while (this.parked && !this.aborted) {
      await new Promise<void>((resolve) => {
        this.wakePark = resolve;
      });
      this.wakePark = undefined;
    }
  }

  private async pump(options: GenerationOptions): Promise<void> {
    try {
      const stream = options.engine.complete(options.request, { signal: this.controller.signal });
      for await (const ev of stream) {
        if (ev.type === "delta") {
          this.tokens += ev.tokens;
          const all = this.text + ev.text;
          const pace = this.held === 0 && this.holdUntil !== undefined ? options.pace : undefined;
          const end = pace ? firstLineEnd(all) : -1;
          if (pace && end >= 0) {
            // Multi-line pacing: deliver the first line, hold the rest of this delta and the stream.
            this.text = all.slice(0, end);
            this.notify();
            await this.hold(pace);
            if (this.endAtLine) {
              // ends as line mode would have: the first line, without its "\n"
              const usage = emptyUsage();
              usage.completionTokens = this.tokens;
              this.result = { text: this.text, stopReason: "end_of_line", usage };
              break; // returns the engine stream: it stops where it is and releases its sequence
            }
          }
          this.text = all;
          this.notify();
          if (this.parked) await this.waitUnparked();
        } else {
          // The engine's final text is authoritative (post stop rules).
          if (ev.text.startsWith(this.text) || ev.stopReason !== "cancelled") this.text = ev.text;
          this.tokens = Math.max(this.tokens, ev.usage.completionTokens);
          this.result = { text: this.text, stopReason: ev.stopReason, usage: ev.usage, ...(ev.alternatives ? { alternatives: ev.alternatives } : {}) };
          break;
        }
      }
      if (!this.result) this.result = { text: this.text, stopReason: this.aborted ? "cancelled" : "error", usage: emptyUsage() };
    } catch (e) {
      if (this.aborted) this.result = { text: this.text, stopReason: "cancelled", usage: emptyUsage() };
      else this.error = toGhostlineError(e, "engine_error");
    } finally {
      this.finished = true;
      this.resolveFinished();
      this.notify();
      options.onFinish?.(this);
    }
  }
}

function wakeOne(sub: GenerationSubscriber): void {
  const w = sub.wake;
  sub.wake = undefined;
  w?.();
}
