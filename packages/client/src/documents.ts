import type { Position, Range } from "@ghostline/protocol";

/** An LSP-style content change: no range = full replacement. Positions are UTF-16 line/character. */
export interface ContentChange {
  range?: Range;
  text: string;
}

/** A change expressed as offsets into the text before it was applied. */
export interface OffsetEdit {
  start: number;
  /** Characters removed. */
  removed: number;
  inserted: string;
}

/** Offset (UTF-16 code units) of a line/character position in `text`; clamped to the text. */
export function offsetAt(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const lineEnd = text.indexOf("\n", offset);
  const end = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + position.character, end);
}

/** Line/character position of an offset in `text`. */
export function positionAt(text: string, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (;;) {
    const nl = text.indexOf("\n", lineStart);
    if (nl < 0 || nl >= clamped) break;
    line++;
    lineStart = nl + 1;
  }
  return { line, character: clamped - lineStart };
}

/** Applies LSP content changes in order; returns the new text and the equivalent offset edits. */
export function applyChanges(text: string, changes: readonly ContentChange[]): { text: string; edits: OffsetEdit[] } {
  const edits: OffsetEdit[] = [];
  let current = text;
  for (const change of changes) {
    if (!change.range) {
      edits.push({ start: 0, removed: current.length, inserted: change.text });
      current = change.text;
      continue;
    }
    const start = offsetAt(current, change.range.start);
    const end = Math.max(start, offsetAt(current, change.range.end));
    edits.push({ start, removed: end - start, inserted: change.text });
    current = current.slice(0, start) + change.text + current.slice(end);
  }
  return { text: current, edits };
}

/** A document the client keeps in sync with the server. */
export interface SyncedDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
}

/**
 * The client's copy of open documents. Why: the server's session state is lost when the socket
 * drops, so the client must be able to re-open every document with its full current text after a
 * reconnect, and the ghost-text and retention logic need the text to compare against.
 */
export class DocumentStore {
  private docs = new Map<string, SyncedDocument>();
  private listeners = new Set<(uri: string, edits: OffsetEdit[], doc: SyncedDocument) => void>();

  /** Opens (or replaces) a document. */
  open(uri: string, text: string, languageId = "plaintext", version = 0): SyncedDocument {
    const doc = { uri, languageId, version, text };
    this.docs.set(uri, doc);
    return doc;
  }
  /** Applies changes; returns the updated document, or undefined when it is not open. */
  change(uri: string, changes: readonly ContentChange[], version?: number): SyncedDocument | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    const result = applyChanges(doc.text, changes);
    doc.text = result.text;
    doc.version = version ?? doc.version + 1;
    for (const l of this.listeners) l(uri, result.edits, doc);
    return doc;
  }
  close(uri: string): boolean {
    return this.docs.delete(uri);
  }
  get(uri: string): SyncedDocument | undefined {
    return this.docs.get(uri);
  }
  all(): SyncedDocument[] {
    return [...this.docs.values()];
  }
  /** Subscribes to applied edits; returns the remover. */
  onEdits(listener: (uri: string, edits: OffsetEdit[], doc: SyncedDocument) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
