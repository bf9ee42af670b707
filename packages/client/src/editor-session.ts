import type { GhostlineClient, CompletionParams } from "./client.js";
import { systemClock, type Clock } from "./clock.js";
import type { ContentChange } from "./documents.js";
import { GhostTextController } from "./ghost-text.js";
import { RetentionTracker } from "./retention.js";

/** Options of an editor session. */
export interface EditorSessionOptions {
  client: GhostlineClient;
  uri: string;
  text: string;
  languageId?: string;
  clock?: Clock;
  params?: CompletionParams;
}

/** One editor wired to a client: document sync, ghost text and retention tracking together. */
export interface EditorSession {
  readonly uri: string;
  readonly ghost: GhostTextController;
  readonly retention: RetentionTracker;
  /** Current document text. */
  text(): string;
  /** Applies editor changes (LSP ranges against the previous text) and the cursor after them. */
  change(changes: ContentChange[], cursor: number): void;
  /** Reports a cursor move without a text change. */
  moveCursor(cursor: number): void;
  dispose(): void;
}

/**
 * Opens `uri` on the client and returns a session that keeps the server's copy, the ghost-text
 * controller and the retention tracker in step with the editor.
 */
export function createEditorSession(options: EditorSessionOptions): EditorSession {
  const { client, uri } = options;
  client.openDocument(uri, options.text, options.languageId ?? "plaintext");
  const retention = new RetentionTracker({
    clock: options.clock ?? systemClock,
    getText: (u) => client.documents.get(u)?.text,
    emit: (e) => client.reportFeedback(e),
  });
  const ghost = new GhostTextController({ source: client, clock: options.clock, retention, params: options.params });
  const removeEdits = client.documents.onEdits((u, edits) => retention.onEdits(u, edits));
  const removeSettings = client.on("settings", (s) => ghost.debounce.reset(s.debounceMs));
  const text = (): string => client.documents.get(uri)?.text ?? "";
  return {
    uri,
    ghost,
    retention,
    text,
    change(changes, cursor) {
      client.changeDocument(uri, changes);
      ghost.update({ uri, text: text(), cursor });
    },
    moveCursor(cursor) {
      ghost.update({ uri, text: text(), cursor });
    },
    dispose() {
      removeEdits();
      removeSettings();
      ghost.dispose();
      retention.dispose();
      client.closeDocument(uri);
    },
  };
}
