/**
 * The WebSocket session of `/v1/stream` (protocol: ClientMessage / ServerMessage in
 * @ghostline/protocol). The SERVER edge authenticates the upgrade and calls `handleSession`.
 *
 * Why a session: an IDE syncs its documents once (open / incremental change / close) and then asks
 * for completions by position; cancellation is a message, not a dropped connection. Messages are
 * handled in arrival order (document edits are synchronous, so a `complete` sees every earlier
 * `change`); completions stream concurrently, keyed by the client's `id`. A bad message gets an
 * `error` reply and the session continues; closing the socket cancels everything of the session.
 */
import { randomBytes } from "node:crypto";
import type { WebSocket, RawData } from "ws";
import { ClientMessage, parseHotMessage, type ClientSettings, type ServerMessage } from "@ghostline/protocol";
import type { Config } from "../config/schema.js";
import { GhostlineError, toGhostlineError } from "../core/errors.js";
import type { FeedbackService, TelemetryLevel } from "../feedback/types.js";
import type { CompletionRequest, RequestManager } from "../requests/types.js";
import { DocumentStore, offsetAt } from "../requests/document-store.js";
import { paramsFromWire, usageToWire } from "../requests/wire-params.js";

/** What the edge passes to a session. */
export interface SessionContext {
  auth: { tenant: string; user?: string; telemetry?: TelemetryLevel };
  services: { config: Config; manager: RequestManager; feedback?: FeedbackService };
}

/** Max bytes of one client frame. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
const LEVELS: TelemetryLevel[] = ["off", "metrics", "code"];

function minLevel(...levels: (TelemetryLevel | undefined)[]): TelemetryLevel {
  let i = LEVELS.length - 1;
  for (const l of levels) if (l) i = Math.min(i, LEVELS.indexOf(l));
  return LEVELS[i] ?? "off";
}

type CompleteMessage = Extract<ClientMessage, { type: "complete" }>;

/** A completion in flight; for position-based ones, where its text starts and what was streamed. */
interface Running {
  controller: AbortController;
  uri?: string;
  /** Offset of the cursor in the document at request time. */
  cursor: number;
  /** Text streamed so far and how much of it the user has typed since. */
  streamed: string;
  typed: number;
}

/** Serves one WebSocket session until the socket closes (see file comment). */
export function handleSession(socket: WebSocket, ctx: SessionContext): void {
  const { config, manager, feedback } = ctx.services;
  const session = `sess-${randomBytes(8).toString("hex")}`;
  const docs = new DocumentStore();
  const running = new Map<string, Running>();
  let user = ctx.auth.user;
  let telemetry = minLevel(config.telemetry.level, ctx.auth.telemetry);
  let closed = false;

  const send = (msg: ServerMessage): void => {
    if (closed || socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(msg));
  };
  const sendError = (e: unknown, id?: string): void => {
    const g = toGhostlineError(e);
    send({ type: "error", ...(id !== undefined ? { id } : {}), error: { code: g.code, message: g.message } });
  };

  async function runCompletion(msg: CompleteMessage): Promise<void> {
    running.get(msg.id)?.controller.abort();
    const controller = new AbortController();
    const entry: Running = { controller, cursor: 0, streamed: "", typed: 0 };
    running.set(msg.id, entry);
    try {
      let prefix: string;
      let suffix: string;
      let language = msg.language;
      let filepath = msg.filepath;
      if (msg.uri !== undefined && msg.position !== undefined) {
        const cut = docs.split(msg.uri, msg.position, msg.version);
        entry.uri = msg.uri;
        entry.cursor = cut.cursor;
        prefix = cut.prefix;
        suffix = cut.suffix;
        language ??= cut.doc.languageId;
        filepath ??= msg.uri;
      } else if (msg.prefix !== undefined) {
        prefix = msg.prefix;
        suffix = msg.suffix ?? "";
      } else {
        throw new GhostlineError("invalid_request", "complete needs either prefix (+ suffix) or uri + position");
      }
      const docId = msg.uri ?? msg.filepath;
      const request: CompletionRequest = {
        tenant: ctx.auth.tenant,
        ...(user !== undefined ? { user } : {}),
        ...(docId !== undefined ? { documentKey: `${session}:${docId}` } : {}),
        fim: {
          prefix,
          suffix,
          ...(language !== undefined ? { language } : {}),
          ...(filepath !== undefined ? { filepath } : {}),
          ...(msg.extra ? { extra: msg.extra } : {}),
        },
        ...paramsFromWire(msg, config),
        source: "ws",
        telemetry,
        arrivedAt: Date.now(),
      };
      for await (const ev of manager.complete(request, { signal: controller.signal })) {
        if (ev.type === "delta") {
          const first = entry.streamed.length === 0;
          entry.streamed += ev.text;
          send({ type: "delta", id: msg.id, text: ev.text, ...(first ? { completion_id: ev.completionId } : {}) });
        }
        else
          send({
            type: "done",
            id: msg.id,
            completion_id: ev.completionId,
            text: ev.text,
            stop_reason: ev.stopReason,
            model: ev.model,
            usage: usageToWire(ev.usage),
            ...(ev.reused ? { reused: ev.reused } : {}),
          });
      }
    } catch (e) {
      sendError(e, msg.id);
    } finally {
      if (running.get(msg.id) === entry) running.delete(msg.id);
    }
  }

  async function handleFeedback(events: Extract<ClientMessage, { type: "feedback" }>["events"]): Promise<void> {
    try {
      const res = feedback ? await feedback.ingest(events, { tenant: ctx.auth.tenant, ...(user !== undefined ? { user } : {}), telemetry }) : { accepted: 0 };
      send({ type: "ack", count: res.accepted });
      for (const ev of events) {
        if (ev.type === "accepted") manager.onAccepted?.(ev.completion_id);
        else if (ev.type === "partially_accepted" && ev.accepted_chars !== undefined) manager.onAccepted?.(ev.completion_id, ev.accepted_chars);
      }
    } catch (e) {
      sendError(e);
    }
  }

  /**
   * An edit of a document ends its in-flight completions at once unless the user is typing through
   * the streamed text (a single insertion at the cursor matching the next streamed characters);
   * waiting for the next `complete` would waste a debounce interval of decoding.
   */
  function cancelStale(uri: string, changes: { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): void {
    let text: string | undefined;
    for (const r of running.values()) {
      if (r.uri !== uri) continue;
      const c = changes.length === 1 ? changes[0] : undefined;
      let keep = false;
      if (c?.range && c.text.length > 0) {
        text ??= docs.get(uri).text;
        const start = offsetAt(text, c.range.start);
        keep = start === offsetAt(text, c.range.end) && start === r.cursor + r.typed && r.streamed.startsWith(c.text, r.typed);
      }
      if (keep) r.typed += c?.text.length ?? 0;
      else r.controller.abort();
    }
  }

  function handle(msg: ClientMessage): void {
    switch (msg.type) {
      case "hello": {
        if (msg.user !== undefined && ctx.auth.user === undefined) user = msg.user;
        telemetry = minLevel(config.telemetry.level, ctx.auth.telemetry, msg.telemetry);
        // experiment arms may vary client settings (e.g. debounce): sticky by hashed user
        const assigner = feedback as { assign?: (c: { tenant: string; user?: string }) => { experiment: string; arm: string } | undefined } | undefined;
        const a = user !== undefined ? assigner?.assign?.({ tenant: ctx.auth.tenant, user }) : undefined;
        const armCfg = a ? config.experiments.find((e) => e.id === a.experiment)?.arms.find((x) => x.name === a.arm) : undefined;
        const settings: ClientSettings = {
          debounceMs: armCfg?.client?.debounceMs ?? config.client.debounceMs,
          shownThresholdMs: config.client.shownThresholdMs,
          telemetry,
          ...(a ? { experiment: { id: a.experiment, arm: a.arm } } : {}),
        };
        send({ type: "hello", server: "ghostline", version: "0.1.0", session, settings });
        return;
      }
      case "open":
        docs.open({ uri: msg.document.uri, languageId: msg.document.languageId, version: msg.document.version, text: msg.document.text });
        return;
      case "change":
        cancelStale(msg.uri, msg.changes);
        docs.change(msg.uri, msg.version, msg.changes);
        return;
      case "close":
        for (const r of running.values()) if (r.uri === msg.uri) r.controller.abort();
        docs.close(msg.uri);
        return;
      case "complete":
        void runCompletion(msg);
        return;
      case "cancel":
        running.get(msg.id)?.controller.abort();
        return;
      case "feedback":
        void handleFeedback(msg.events);
        return;
      case "ping":
        send({ type: "pong" });
        return;
    }
  }

  const onMessage = (data: RawData, isBinary: boolean): void => {
    let id: string | undefined;
    try {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
      if (size > MAX_FRAME_BYTES) throw new GhostlineError("payload_too_large", `Frame exceeds ${MAX_FRAME_BYTES} bytes`);
      if (isBinary) throw new GhostlineError("invalid_request", "Binary frames are not supported; send JSON text");
      const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new GhostlineError("invalid_json", undefined, { cause: e });
      }
      if (json && typeof json === "object" && typeof (json as { id?: unknown }).id === "string") id = (json as { id: string }).id.slice(0, 128);
      // keystroke messages (change, complete) are checked by hand; the schema parses the rest
      const hot = parseHotMessage(json);
      if (hot) {
        handle(hot);
        return;
      }
      const parsed = ClientMessage.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new GhostlineError("invalid_request", `Invalid message: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "unknown"}`);
      }
      handle(parsed.data);
    } catch (e) {
      sendError(e, id);
    }
  };

  const onClose = (): void => {
    closed = true;
    for (const r of running.values()) r.controller.abort();
    running.clear();
    docs.clear();
    socket.off("message", onMessage);
    socket.off("close", onClose);
    socket.off("error", onError);
  };
  const onError = (): void => onClose();

  socket.on("message", onMessage);
  socket.on("close", onClose);
  socket.on("error", onError);
}
