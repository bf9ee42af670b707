import { GhostlineClient } from "../../client/src/client.js";
import { systemClock } from "../../client/src/clock.js";
import type { TelemetryLevel } from "../../client/src/feedback.js";
import { GhostTextController } from "../../client/src/ghost-text.js";
import { RetentionTracker } from "../../client/src/retention.js";
import type { TransportFactory } from "../../client/src/transport.js";
import type { VExtensionContext, VInlineCompletionItem, VscodeLike, VTextDocument } from "./vscode-api.js";

/** Settings read from `ghostline.*`. */
export interface ExtensionSettings {
  serverUrl: string;
  apiKey: string;
  telemetry: TelemetryLevel;
  enabled: boolean;
  mode: "none" | "line" | "block";
}

/** Reads the extension settings. */
export function readSettings(vscode: VscodeLike): ExtensionSettings {
  const c = vscode.workspace.getConfiguration("ghostline");
  return {
    serverUrl: c.get("serverUrl", "http://127.0.0.1:8017"),
    apiKey: c.get("apiKey", ""),
    telemetry: c.get<TelemetryLevel>("telemetry", "metrics"),
    enabled: c.get("enabled", true),
    mode: c.get<ExtensionSettings["mode"]>("mode", "block"),
  };
}

/**
 * The extension: a thin InlineCompletionItemProvider over the client library. Documents are synced
 * incrementally; each document has a ghost-text controller (typing-through answered locally,
 * cancellation from VS Code's token); accepts come back through the item's command and partial
 * accepts through handleDidPartiallyAcceptCompletionItem.
 */
export class GhostlineExtension {
  readonly client: GhostlineClient;
  private ghosts = new Map<string, GhostTextController>();
  private retention: RetentionTracker;
  private settings: ExtensionSettings;

  constructor(
    private readonly vscode: VscodeLike,
    context: VExtensionContext,
    transport: (settings: ExtensionSettings) => TransportFactory,
  ) {
    this.settings = readSettings(vscode);
    this.client = new GhostlineClient({ transport: transport(this.settings), clientName: "vscode", telemetry: this.settings.telemetry });
    const client = this.client;
    this.retention = new RetentionTracker({ clock: systemClock, getText: (u) => client.documents.get(u)?.text, emit: (e) => client.reportFeedback(e) });
    const removeEdits = client.documents.onEdits((u, edits) => this.retention.onEdits(u, edits));
    client.connect();
    for (const d of vscode.workspace.textDocuments) this.open(d);
    const subs = context.subscriptions;
    subs.push(
      { dispose: () => (removeEdits(), this.dispose()) },
      vscode.workspace.onDidOpenTextDocument((d) => this.open(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.close(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.change(e.document, e.contentChanges)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("ghostline")) return;
        this.settings = readSettings(vscode);
        client.feedback.setUserLevel(this.settings.telemetry);
      }),
      vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, {
        provideInlineCompletionItems: (document, position, _context, token) => this.provide(document, position, token),
        handleDidPartiallyAcceptCompletionItem: (item, info) => {
          const n = typeof info === "number" ? info : info.acceptedLength;
          this.ghosts.get(this.uriOf(item))?.notifyAccepted("word", item.insertText.slice(0, n));
        },
      }),
      vscode.commands.registerCommand("ghostline.accepted", (uri, text) => this.ghosts.get(String(uri))?.notifyAccepted("all", String(text))),
      vscode.commands.registerCommand("ghostline.acceptNextWord", () => vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextWord")),
      vscode.commands.registerCommand("ghostline.toggle", () => {
        this.settings.enabled = !this.settings.enabled;
        vscode.window.showInformationMessage(`Ghostline ${this.settings.enabled ? "enabled" : "disabled"}`);
      }),
    );
  }

  private itemUris = new WeakMap<object, string>();
  private uriOf(item: VInlineCompletionItem): string {
    return this.itemUris.get(item) ?? "";
  }

  private ghost(uri: string): GhostTextController {
    let g = this.ghosts.get(uri);
    if (!g) {
      g = new GhostTextController({ source: this.client, retention: this.retention, refreshOnPause: false, params: { mode: this.settings.mode } });
      this.ghosts.set(uri, g);
    }
    return g;
  }

  private open(d: VTextDocument): void {
    this.client.openDocument(d.uri.toString(), d.getText(), d.languageId, d.version);
  }
  private close(d: VTextDocument): void {
    const uri = d.uri.toString();
    this.ghosts.get(uri)?.dispose();
    this.ghosts.delete(uri);
    this.retention.forget(uri);
    this.client.closeDocument(uri);
  }
  private change(d: VTextDocument, changes: readonly { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): void {
    const uri = d.uri.toString();
    if (!this.client.documents.get(uri)) return this.open(d);
    const doc = this.client.changeDocument(uri, changes.map((c) => ({ range: { start: { ...c.range.start }, end: { ...c.range.end } }, text: c.text })), d.version);
    const editor = this.vscode.window.activeTextEditor;
    if (!doc || !editor || editor.document.uri.toString() !== uri) return;
    this.ghosts.get(uri)?.update({ uri, text: doc.text, cursor: d.offsetAt(editor.selection.active) }, { request: false });
  }

  private async provide(document: VTextDocument, position: { line: number; character: number }, token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } }): Promise<VInlineCompletionItem[] | undefined> {
    if (!this.settings.enabled) return undefined;
    const uri = document.uri.toString();
    const doc = this.client.documents.get(uri);
    if (!doc) return undefined;
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    if (token.isCancellationRequested) ac.abort();
    try {
      const s = await this.ghost(uri).suggestAt({ uri, text: doc.text, cursor: document.offsetAt(position) }, ac.signal);
      if (!s || ac.signal.aborted) return undefined;
      const item = new this.vscode.InlineCompletionItem(s.text, new this.vscode.Range(position, position), {
        title: "Ghostline: accepted",
        command: "ghostline.accepted",
        arguments: [uri, s.text],
      });
      this.itemUris.set(item, uri);
      return [item];
    } finally {
      sub.dispose();
    }
  }

  dispose(): void {
    for (const g of this.ghosts.values()) g.dispose();
    this.ghosts.clear();
    this.retention.dispose();
    this.client.dispose();
  }
}
