import { describe, expect, it } from "vitest";
import { FakeTransport } from "../../client/src/fake-transport.js";
import { offsetAt } from "../../client/src/documents.js";
import { FAKE_USAGE, settle } from "../../client/src/test-helpers.js";
import { GhostlineExtension } from "./ghostline-extension.js";
import type { VInlineCompletionItem, VInlineCompletionItemProvider, VPosition, VRange, VscodeLike, VTextDocument } from "./vscode-api.js";

/** A small fake of the vscode API: one document, settings, registries. */
function fakeVscode(settings: Record<string, unknown> = {}) {
  const listeners: Record<string, ((e: any) => void)[]> = {};
  const on = (name: string) => (l: (e: any) => void) => ((listeners[name] ??= []).push(l), { dispose() {} });
  const commands = new Map<string, (...a: unknown[]) => unknown>();
  const executed: string[] = [];
  let provider: VInlineCompletionItemProvider | undefined;
  let text = "def add(a, b):\n    ";
  let version = 0;
  const doc: VTextDocument = {
    uri: { toString: () => "file:///w/add.py" },
    languageId: "python",
    get version() {
      return version;
    },
    getText: () => text,
    offsetAt: (p: VPosition) => offsetAt(text, p),
  };
  const editor = { document: doc, selection: { active: { line: 1, character: 4 } } };
  const vscode: VscodeLike = {
    Range: class {
      constructor(public start: VPosition, public end: VPosition) {}
    },
    InlineCompletionItem: class {
      constructor(public insertText: string, public range?: VRange, public command?: VInlineCompletionItem["command"]) {}
    },
    languages: { registerInlineCompletionItemProvider: (_s, p) => ((provider = p), { dispose() {} }) },
    workspace: {
      textDocuments: [doc],
      getConfiguration: () => ({ get: <T,>(k: string, d: T) => (k in settings ? (settings[k] as T) : d) }),
      onDidOpenTextDocument: on("open"),
      onDidCloseTextDocument: on("close"),
      onDidChangeTextDocument: on("change"),
      onDidChangeConfiguration: on("config"),
    },
    window: { activeTextEditor: editor, showInformationMessage: () => undefined },
    commands: {
      registerCommand: (c, fn) => (commands.set(c, fn), { dispose() {} }),
      executeCommand: (c) => executed.push(c),
    },
  };
  /** Simulates typing `s` at the cursor. */
  const type = (s: string) => {
    const at = editor.selection.active;
    const off = offsetAt(text, at);
    text = text.slice(0, off) + s + text.slice(off);
    version++;
    editor.selection.active = { line: at.line, character: at.character + s.length };
    for (const l of listeners.change ?? []) l({ document: doc, contentChanges: [{ range: { start: at, end: at }, text: s }] });
  };
  const token = (cancelled = false) => ({ isCancellationRequested: cancelled, onCancellationRequested: () => ({ dispose() {} }) });
  return { vscode, doc, editor, type, token, commands, executed, provider: () => provider!, listeners };
}

describe("VS Code extension (fake vscode API)", () => {
  function setup(settings: Record<string, unknown> = {}) {
    const f = fakeVscode(settings);
    const transport = new FakeTransport();
    const urls: string[] = [];
    const ext = new GhostlineExtension(f.vscode, { subscriptions: [] }, (s) => (urls.push(s.serverUrl), transport.factory));
    transport.last.accept();
    transport.last.push({ type: "hello", server: "x", version: "0", session: "s", settings: { debounceMs: 10, shownThresholdMs: 100, telemetry: "code" } });
    return { ...f, ext, transport, urls, sock: () => transport.last };
  }

  it("syncs open documents, provides ghost text at the cursor and reads settings", async () => {
    const t = setup({ serverUrl: "http://gpu-box:8017", telemetry: "code" });
    expect(t.urls).toEqual(["http://gpu-box:8017"]);
    expect(t.sock().ofType("hello")[0]).toMatchObject({ client: "vscode", telemetry: "code" });
    expect(t.sock().ofType("open")[0]?.document).toMatchObject({ uri: "file:///w/add.py", languageId: "python" });
    t.type("re");
    expect(t.sock().ofType("change")[0]).toMatchObject({ changes: [{ text: "re", range: { start: { line: 1, character: 4 } } }] });
    const p = t.provider().provideInlineCompletionItems(t.doc, { line: 1, character: 6 }, {}, t.token());
    const req = t.sock().ofType("complete")[0]!;
    expect(req).toMatchObject({ uri: "file:///w/add.py", position: { line: 1, character: 6 }, mode: "block" });
    t.sock().push({ type: "delta", id: req.id, text: "turn a" });
    t.sock().push({ type: "done", id: req.id, completion_id: "c1", text: "turn a + b", stop_reason: "eos", model: "m", usage: FAKE_USAGE });
    const items = (await p)!;
    expect(items[0]?.insertText).toBe("turn a + b");
    expect(items[0]?.range?.start).toEqual({ line: 1, character: 6 });
    expect(items[0]?.command?.command).toBe("ghostline.accepted");

    // typing through: answered locally
    t.type("tu");
    const again = await t.provider().provideInlineCompletionItems(t.doc, { line: 1, character: 8 }, {}, t.token());
    expect(again?.[0]?.insertText).toBe("rn a + b");
    expect(t.sock().ofType("complete")).toHaveLength(1);

    // VS Code inserts the item, then runs its command
    t.type("rn a + b");
    t.commands.get("ghostline.accepted")!(...(again![0]!.command!.arguments ?? []));
    t.ext.client.feedback.flush();
    const events = t.sock().ofType("feedback").flatMap((m) => m.events);
    expect(events).toContainEqual(expect.objectContaining({ type: "accepted", completion_id: "c1", accepted_chars: 8 }));
    t.ext.dispose();
  });

  it("a cancelled token returns nothing and sends no request", async () => {
    const t = setup();
    t.type("x");
    const items = await t.provider().provideInlineCompletionItems(t.doc, { line: 1, character: 5 }, {}, t.token(true));
    expect(items).toBeUndefined();
    await settle();
    expect(t.sock().ofType("complete")).toHaveLength(0);
    t.ext.dispose();
  });

  it("telemetry off sends no feedback; disabled returns no items", async () => {
    const t = setup({ telemetry: "off", enabled: false });
    expect(t.sock().ofType("hello")[0]?.telemetry).toBe("off");
    t.type("r");
    expect(await t.provider().provideInlineCompletionItems(t.doc, { line: 1, character: 5 }, {}, t.token())).toBeUndefined();
    t.ext.client.reportFeedback({ type: "shown", completion_id: "c" });
    t.ext.client.feedback.flush();
    expect(t.sock().ofType("feedback")).toHaveLength(0);
    t.ext.dispose();
  });
});
