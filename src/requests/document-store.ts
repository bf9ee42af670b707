/**
 * Per-session document store with LSP semantics: documents are opened with a version, changed by
 * incremental range edits (positions in UTF-16 code units, lines split at \n, \r\n or \r) or full
 * replacements, and closed. Versions must increase; an out-of-order change is rejected with
 * GhostlineError("conflict") and leaves the document untouched (edits apply all-or-nothing).
 *
 * Why per session: a WebSocket session syncs documents once and then sends only positions; the
 * store never outlives its session and is bounded (document count and size).
 */
import { GhostlineError } from "../core/errors.js";
import { LIMITS, type Position, type Range } from "@ghostline/protocol";

/** A synced document. */
export interface StoredDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
}

/** Limits of a document store. */
export interface DocumentStoreOptions {
  /** Max open documents (default 256). */
  maxDocuments?: number;
  /** Max characters per document (default LIMITS.documentChars). */
  maxChars?: number;
}

/** Converts an LSP position to a UTF-16 offset; characters past a line end clamp to it, lines past the end clamp to the text end. */
export function offsetAt(text: string, pos: Position): number {
  // Native searches (indexOf), not a JS loop over every character before the cursor: this runs
  // several times per keystroke. The next "\r" is searched again only once passed (most files
  // have none: one search).
  let cr = text.indexOf("\r");
  const nextBreak = (from: number): number => {
    if (cr >= 0 && cr < from) cr = text.indexOf("\r", from);
    const lf = text.indexOf("\n", from);
    return cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
  };
  let line = 0;
  let i = 0;
  while (line < pos.line) {
    const nl = nextBreak(i);
    if (nl < 0) return text.length;
    i = nl + (text.charCodeAt(nl) === 13 && text.charCodeAt(nl + 1) === 10 ? 2 : 1);
    line++;
  }
  const end = nextBreak(i);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(i + pos.character, lineEnd);
}

/** Applies one LSP content change to `text` (no range = full replacement). */
export function applyChange(text: string, change: { range?: Range; text: string }): string {
  if (!change.range) return change.text;
  let start = offsetAt(text, change.range.start);
  let end = offsetAt(text, change.range.end);
  if (end < start) [start, end] = [end, start];
  return text.slice(0, start) + change.text + text.slice(end);
}

/** The per-session store (see file comment). */
export class DocumentStore {
  private readonly docs = new Map<string, StoredDocument>();
  private readonly maxDocuments: number;
  private readonly maxChars: number;

  constructor(options: DocumentStoreOptions = {}) {
    this.maxDocuments = options.maxDocuments ?? 256;
    this.maxChars = options.maxChars ?? LIMITS.documentChars;
    if (this.maxDocuments < 1 || this.maxChars < 1) throw new RangeError("document store limits must be positive");
  }

  get size(): number {
    return this.docs.size;
  }

  /** Opens (or re-opens, replacing) a document. */
  open(doc: StoredDocument): void {
    if (doc.text.length > this.maxChars) throw tooLarge(doc.uri, this.maxChars);
    if (!this.docs.has(doc.uri) && this.docs.size >= this.maxDocuments) {
      throw new GhostlineError("invalid_request", `Too many open documents (max ${this.maxDocuments}); close some first`, { details: { uri: doc.uri } });
    }
    this.docs.set(doc.uri, { ...doc });
  }

  /** Applies changes in order and sets `version`; all-or-nothing. */
  change(uri: string, version: number, changes: { range?: Range; text: string }[]): StoredDocument {
    const doc = this.get(uri);
    if (version <= doc.version) {
      throw new GhostlineError("conflict", `Out-of-order change for ${uri}: version ${version} <= current ${doc.version}`, {
        details: { uri, version, current: doc.version },
      });
    }
    let text = doc.text;
    for (const c of changes) {
      text = applyChange(text, c);
      if (text.length > this.maxChars) throw tooLarge(uri, this.maxChars);
    }
    doc.text = text;
    doc.version = version;
    return doc;
  }

  /** Closes a document (unknown uris are ignored, as in LSP). */
  close(uri: string): void {
    this.docs.delete(uri);
  }

  /** The document, or GhostlineError("not_found"). */
  get(uri: string): StoredDocument {
    const doc = this.docs.get(uri);
    if (!doc) throw new GhostlineError("not_found", `Document not open: ${uri}`, { details: { uri } });
    return doc;
  }

  /** Cuts prefix/suffix at `position` (prefix tail / suffix head limited to the protocol limits); `cursor` is the position's offset. */
  split(uri: string, position: Position, version?: number): { doc: StoredDocument; prefix: string; suffix: string; cursor: number } {
    const doc = this.get(uri);
    if (version !== undefined && version !== doc.version) {
      throw new GhostlineError("conflict", `Completion for version ${version} of ${uri}, but the synced version is ${doc.version}`, {
        details: { uri, version, current: doc.version },
      });
    }
    const at = offsetAt(doc.text, position);
    return { doc, prefix: doc.text.slice(Math.max(0, at - LIMITS.prefixChars), at), suffix: doc.text.slice(at, at + LIMITS.suffixChars), cursor: at };
  }

  clear(): void {
    this.docs.clear();
  }
}

function tooLarge(uri: string, max: number): GhostlineError {
  return new GhostlineError("field_too_large", `Document ${uri} exceeds ${max} characters`, { details: { uri, field: "text" } });
}
