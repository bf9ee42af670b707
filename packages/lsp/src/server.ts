/**
 * Ghostline LSP server: speaks LSP over stdio to an editor and the Ghostline WebSocket protocol to a
 * Ghostline server, through the client library. Serves `textDocument/inlineCompletion` (LSP 3.18)
 * and a `textDocument/completion` fallback, syncs documents incrementally, honours
 * `$/cancelRequest`, and takes `ghostline/accepted`, `ghostline/partiallyAccepted` and
 * `ghostline/dismissed` notifications as feedback.
 */
import {
  CompletionItemKind,
  TextDocumentSyncKind,
  createConnection,
  type CancellationToken,
  type CompletionItem,
  type Connection,
  type InitializeParams,
  type Position,
} from "vscode-languageserver/node.js";
import type { GhostlineClient } from "../../client/src/client.js";
import { applyChanges, offsetAt } from "../../client/src/documents.js";
import type { TelemetryLevel } from "../../client/src/feedback.js";
import { GhostTextController, type GhostSuggestion } from "../../client/src/ghost-text.js";
import { createNodeClient } from "../../client/src/node.js";
import { RetentionTracker } from "../../client/src/retention.js";
import { systemClock } from "../../client/src/clock.js";

/** Default Ghostline server URL. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:8017";

/** `initializationOptions` understood by the server. */
export interface GhostlineInitOptions {
  serverUrl?: string;
  apiKey?: string;
  telemetry?: TelemetryLevel;
  /** Completion mode sent with requests (default "block"). */
  mode?: "none" | "line" | "block";
  maxTokens?: number;
}

/** Params of the custom notifications. */
export interface GhostlineAcceptParams {
  uri: string;
  /** The text the editor inserted. */
  text: string;
  unit?: "word" | "line";
}

/** Options for running the server. */
export interface LspServerOptions {
  /** Streams (default stdin/stdout). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Fallback server URL (default env GHOSTLINE_URL, then DEFAULT_SERVER_URL). */
  serverUrl?: string;
}

/** A running LSP server; `exited` resolves with the exit code on `exit`. */
export interface LspServer {
  connection: Connection;
  exited: Promise<number>;
}

const toSignal = (token: CancellationToken): { signal: AbortSignal; dispose: () => void } => {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  const d = token.onCancellationRequested(() => ac.abort());
  return { signal: ac.signal, dispose: () => d.dispose() };
};

/** Starts the LSP server on the given streams. */
export function startLspServer(options: LspServerOptions = {}): LspServer {
  const connection =
    options.input && options.output ? createConnection(options.input, options.output) : createConnection(process.stdin, process.stdout);
  let client: GhostlineClient | undefined;
  let retention: RetentionTracker | undefined;
  let init: GhostlineInitOptions = {};
  const ghosts = new Map<string, GhostTextController>();
  let shutdown = false;

  const ghostFor = (uri: string): GhostTextController => {
    let g = ghosts.get(uri);
    if (!g) {
      g = new GhostTextController({
        source: client!,
        retention,
        refreshOnPause: false,
        params: { mode: init.mode ?? "block", ...(init.maxTokens ? { max_tokens: init.maxTokens } : {}) },
      });
      ghosts.set(uri, g);
    }
    return g;
  };

  const suggest = async (uri: string, position: Position, token: CancellationToken): Promise<GhostSuggestion | undefined> => {
    const doc = client?.documents.get(uri);
    if (!client || !doc) return undefined;
    const { signal, dispose } = toSignal(token);
    try {
      return await ghostFor(uri).suggestAt({ uri, text: doc.text, cursor: offsetAt(doc.text, position) }, signal);
    } finally {
      dispose();
    }
  };

  connection.onInitialize((params: InitializeParams) => {
    init = (params.initializationOptions ?? {}) as GhostlineInitOptions;
    const url = init.serverUrl ?? options.serverUrl ?? process.env.GHOSTLINE_URL ?? DEFAULT_SERVER_URL;
    client = createNodeClient(url, { clientName: "ghostline-lsp", telemetry: init.telemetry ?? "metrics", apiKey: init.apiKey ?? process.env.GHOSTLINE_API_KEY });
    const c = client;
    retention = new RetentionTracker({ clock: systemClock, getText: (u) => c.documents.get(u)?.text, emit: (e) => c.reportFeedback(e) });
    c.documents.onEdits((u, edits) => retention?.onEdits(u, edits));
    c.on("error", (e) => connection.console.warn(`ghostline: ${e.code}: ${e.message}`));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { resolveProvider: false },
        inlineCompletionProvider: true,
      },
      serverInfo: { name: "ghostline-lsp", version: "0.1.0" },
    };
  });

  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    client?.openDocument(d.uri, d.text, d.languageId, d.version);
  });
  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    if (!client) return;
    const before = client.documents.get(textDocument.uri)?.text ?? "";
    const doc = client.changeDocument(textDocument.uri, contentChanges, textDocument.version);
    if (!doc) return;
    // LSP does not send the cursor: assume it sits after the last inserted text.
    const last = contentChanges[contentChanges.length - 1];
    let cursor = doc.text.length;
    if (last && "range" in last) {
      const prior = contentChanges.length === 1 ? before : applyChanges(before, contentChanges.slice(0, -1)).text;
      cursor = offsetAt(prior, last.range.start) + last.text.length;
    }
    ghosts.get(textDocument.uri)?.update({ uri: doc.uri, text: doc.text, cursor }, { request: false });
  });
  connection.onDidCloseTextDocument(({ textDocument }) => {
    ghosts.get(textDocument.uri)?.dispose();
    ghosts.delete(textDocument.uri);
    retention?.forget(textDocument.uri);
    client?.closeDocument(textDocument.uri);
  });

  connection.onRequest("textDocument/inlineCompletion", async (params: { textDocument: { uri: string }; position: Position }, token: CancellationToken) => {
    const s = await suggest(params.textDocument.uri, params.position, token);
    if (!s) return { items: [] };
    return {
      items: [
        {
          insertText: s.text,
          range: { start: params.position, end: params.position },
          command: { title: "accept", command: "ghostline.accepted", arguments: [{ uri: params.textDocument.uri, text: s.text }] },
        },
      ],
    };
  });

  connection.onCompletion(async (params, token): Promise<CompletionItem[]> => {
    const s = await suggest(params.textDocument.uri, params.position, token);
    if (!s) return [];
    const firstLine = s.text.split("\n").find((l) => l.trim()) ?? s.text;
    return [
      {
        label: firstLine.trim().slice(0, 80),
        kind: CompletionItemKind.Text,
        detail: "Ghostline",
        documentation: { kind: "markdown", value: "```\n" + s.text + "\n```" },
        textEdit: { range: { start: params.position, end: params.position }, newText: s.text },
        filterText: firstLine,
        sortText: "0",
        preselect: true,
      },
    ];
  });

  connection.onNotification("ghostline/accepted", (p: GhostlineAcceptParams) => ghosts.get(p.uri)?.notifyAccepted("all", p.text));
  connection.onNotification("ghostline/partiallyAccepted", (p: GhostlineAcceptParams) => ghosts.get(p.uri)?.notifyAccepted(p.unit ?? "word", p.text));
  connection.onNotification("ghostline/dismissed", (p: { uri: string }) => ghosts.get(p.uri)?.dismiss());

  const exited = new Promise<number>((resolve) => {
    connection.onShutdown(() => {
      shutdown = true;
      for (const g of ghosts.values()) g.dispose();
      retention?.dispose();
      client?.dispose();
    });
    connection.onExit(() => resolve(shutdown ? 0 : 1));
  });
  connection.listen();
  return { connection, exited };
}
