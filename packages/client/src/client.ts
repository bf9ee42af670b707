import type { ClientMessage, ClientSettings, FeedbackEvent, Position, ServerMessage, WireUsage } from "@ghostline/protocol";
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { DocumentStore, type ContentChange, type SyncedDocument } from "./documents.js";
import { FeedbackReporter, type TelemetryLevel } from "./feedback.js";
import type { Transport, TransportFactory } from "./transport.js";

/** Generation parameters a client may add to a completion request. */
export type CompletionParams = Omit<
  Extract<ClientMessage, { type: "complete" }>,
  "type" | "id" | "prefix" | "suffix" | "uri" | "position" | "version"
>;

/** What to complete: a synced document position, or explicit prefix/suffix. */
export type CompletionTarget = { uri: string; position: Position } | { prefix: string; suffix?: string };

/** Outcome of one completion. Cancellation and errors are results, not exceptions. */
export interface CompletionResult {
  id: string;
  text: string;
  /** Server stop reason, or "cancelled" / "error". */
  stopReason: string;
  /** The id feedback events refer to: from `done`, or from the first delta when cancelled before it. */
  completionId?: string;
  model?: string;
  usage?: WireUsage;
  reused?: "typing-through" | "cache" | "lookahead";
  error?: { code: string; message: string };
  /** Client-measured ms from send to first delta (undefined without deltas) and to the end. */
  firstDeltaMs?: number;
  totalMs: number;
}

/** Options of a GhostlineClient. */
export interface GhostlineClientOptions {
  transport: TransportFactory;
  /** Client name sent in hello (default "ghostline-client"). */
  clientName?: string;
  /** The user's telemetry level (default "metrics"). */
  telemetry?: TelemetryLevel;
  user?: string;
  clock?: Clock;
  backoff?: BackoffOptions;
  /** Settings assumed until the server's hello arrives. */
  defaultSettings?: ClientSettings;
}

/** Called with each text delta; `completionId` is known from the first delta on. */
export type DeltaListener = (delta: string, textSoFar: string, completionId: string | undefined) => void;

type Pending = {
  text: string;
  sentAt: number;
  firstDeltaAt?: number;
  completionId?: string;
  onDelta?: DeltaListener;
  resolve: (r: CompletionResult) => void;
  removeAbort: () => void;
};

type Events = {
  settings: (s: ClientSettings) => void;
  connected: () => void;
  disconnected: (code: number, reason: string) => void;
  error: (e: { code: string; message: string }) => void;
};

/**
 * The Ghostline IDE client: one WebSocket session to `/v1/stream` with document sync, streamed
 * completions with cancellation, feedback batching and automatic reconnect.
 *
 * Why stateful: the server's per-connection state (open documents, hello) is lost on disconnect,
 * so the client keeps the documents and replays hello + open on every reconnect; reconnects use
 * exponential backoff with jitter. Concurrency: all methods are synchronous or return promises that
 * never reject; completions in flight when the socket drops resolve with stopReason "error".
 */
export class GhostlineClient {
  readonly documents = new DocumentStore();
  readonly feedback: FeedbackReporter;
  private transport: Transport | undefined;
  private connected = false;
  private disposed = false;
  private attempt = 0;
  private reconnectTimer: TimerHandle | undefined;
  private pending = new Map<string, Pending>();
  private listeners: { [K in keyof Events]: Set<Events[K]> } = {
    settings: new Set(),
    connected: new Set(),
    disconnected: new Set(),
    error: new Set(),
  };
  private seq = 0;
  private readonly clock: Clock;
  private readonly idPrefix: string;
  /** Settings in force (the server's once its hello arrived). */
  settings: ClientSettings;

  constructor(private readonly options: GhostlineClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.settings = options.defaultSettings ?? { debounceMs: 0, shownThresholdMs: 500, telemetry: options.telemetry ?? "metrics" };
    this.idPrefix = Math.floor(Math.random() * 36 ** 6).toString(36);
    this.feedback = new FeedbackReporter({
      level: options.telemetry ?? "metrics",
      clock: this.clock,
      send: (events) => this.trySend({ type: "feedback", events }),
    });
  }

  /** Starts connecting (idempotent). */
  connect(): void {
    if (this.disposed || this.transport) return;
    this.transport = this.options.transport({
      onOpen: () => this.handleOpen(),
      onMessage: (data) => this.handleMessage(data),
      onClose: (code, reason) => this.handleClose(code, reason),
    });
  }

  /** Whether the socket is open. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Subscribes to an event; returns the remover. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Opens a document (sent now, and again after every reconnect). */
  openDocument(uri: string, text: string, languageId = "plaintext", version = 0): SyncedDocument {
    const doc = this.documents.open(uri, text, languageId, version);
    this.trySend({ type: "open", document: { uri, languageId, version: doc.version, text } });
    return doc;
  }

  /** Applies incremental (LSP-style) changes locally and sends them. */
  changeDocument(uri: string, changes: ContentChange[], version?: number): SyncedDocument | undefined {
    const doc = this.documents.change(uri, changes, version);
    if (doc) this.trySend({ type: "change", uri, version: doc.version, changes });
    return doc;
  }

  closeDocument(uri: string): void {
    if (this.documents.close(uri)) this.trySend({ type: "close", uri });
  }

  /** Records a feedback event (the telemetry level is applied before anything is queued). */
  reportFeedback(event: FeedbackEvent): boolean {
    return this.feedback.record(event);
  }

  /**
   * Requests a completion and streams it. Aborting `signal` sends `cancel` and resolves at once
   * with stopReason "cancelled", the text received so far and, once a delta came, the completion id.
   */
  complete(
    target: CompletionTarget,
    options: { signal?: AbortSignal; onDelta?: DeltaListener; params?: CompletionParams } = {},
  ): Promise<CompletionResult> {
    const id = `${this.idPrefix}-${++this.seq}`;
    const sentAt = this.clock.now();
    return new Promise<CompletionResult>((resolve) => {
      if (options.signal?.aborted) return resolve({ id, text: "", stopReason: "cancelled", totalMs: 0 });
      const message: ClientMessage =
        "uri" in target
          ? { ...options.params, type: "complete", id, uri: target.uri, position: target.position, version: this.documents.get(target.uri)?.version }
          : { ...options.params, type: "complete", id, prefix: target.prefix, suffix: target.suffix ?? "" };
      if (!this.trySend(message)) {
        return resolve({ id, text: "", stopReason: "error", error: { code: "disconnected", message: "not connected to the Ghostline server" }, totalMs: 0 });
      }
      const onAbort = (): void => {
        this.trySend({ type: "cancel", id });
        const completionId = this.pending.get(id)?.completionId;
        this.finish(id, { stopReason: "cancelled", ...(completionId !== undefined ? { completionId } : {}) });
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        text: "",
        sentAt,
        onDelta: options.onDelta,
        resolve,
        removeAbort: () => options.signal?.removeEventListener("abort", onAbort),
      });
    });
  }

  /** Closes the connection for good; pending completions resolve as cancelled. */
  dispose(): void {
    this.disposed = true;
    if (this.reconnectTimer !== undefined) this.clock.clearTimeout(this.reconnectTimer);
    for (const id of [...this.pending.keys()]) this.finish(id, { stopReason: "cancelled" });
    this.feedback.flush();
    this.feedback.dispose();
    const t = this.transport;
    this.transport = undefined;
    this.connected = false;
    t?.close();
  }

  private trySend(message: ClientMessage): boolean {
    if (!this.connected || !this.transport) return false;
    try {
      this.transport.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private handleOpen(): void {
    this.connected = true;
    const hello: ClientMessage = { type: "hello", client: this.options.clientName ?? "ghostline-client", telemetry: this.feedback.userTelemetry };
    if (this.options.user) hello.user = this.options.user;
    this.trySend(hello);
    for (const d of this.documents.all()) {
      this.trySend({ type: "open", document: { uri: d.uri, languageId: d.languageId, version: d.version, text: d.text } });
    }
    this.feedback.flush();
    for (const l of this.listeners.connected) l();
  }

  private handleMessage(data: string): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    switch (msg.type) {
      case "hello":
        this.attempt = 0;
        this.settings = msg.settings;
        this.feedback.setServerLevel(msg.settings.telemetry);
        for (const l of this.listeners.settings) l(msg.settings);
        return;
      case "delta": {
        const p = this.pending.get(msg.id);
        if (!p) return;
        if (p.firstDeltaAt === undefined) p.firstDeltaAt = this.clock.now();
        p.text += msg.text;
        if (msg.completion_id !== undefined) p.completionId ??= msg.completion_id;
        p.onDelta?.(msg.text, p.text, p.completionId);
        return;
      }
      case "done":
        this.finish(msg.id, {
          text: msg.text,
          stopReason: msg.stop_reason,
          completionId: msg.completion_id,
          model: msg.model,
          usage: msg.usage,
          reused: msg.reused,
        });
        return;
      case "error":
        if (msg.id && this.pending.has(msg.id)) this.finish(msg.id, { stopReason: "error", error: msg.error });
        else for (const l of this.listeners.error) l(msg.error);
        return;
      default:
        return;
    }
  }

  private finish(id: string, result: Partial<CompletionResult> & { stopReason: string }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.removeAbort();
    const now = this.clock.now();
    p.resolve({
      id,
      text: result.text ?? p.text,
      ...result,
      firstDeltaMs: p.firstDeltaAt === undefined ? undefined : p.firstDeltaAt - p.sentAt,
      totalMs: now - p.sentAt,
    });
  }

  private handleClose(code: number, reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.transport = undefined;
    for (const id of [...this.pending.keys()]) {
      this.finish(id, { stopReason: "error", error: { code: "connection_lost", message: `connection closed (${code})` } });
    }
    if (wasConnected) for (const l of this.listeners.disconnected) l(code, reason);
    if (this.disposed) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }
}
