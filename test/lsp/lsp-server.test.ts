/**
 * Drives `ghostline lsp` (spawned, stdio) with vscode-jsonrpc as a real LSP client against an
 * in-process Ghostline app with the fake engine.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, CancellationTokenSource, type MessageConnection } from "vscode-jsonrpc/node.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../e2e/start-app.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const URI = "file:///tmp/demo.ts";
const TEXT = "function greet(name: string) {\n  ";

type InlineItems = { items: { insertText: string; range: { start: { line: number; character: number } } }[] };

describe("ghostline lsp over stdio", () => {
  let app: RunningApp;
  let proc: ChildProcessWithoutNullStreams;
  let conn: MessageConnection;
  let stderr = "";

  beforeAll(async () => {
    app = await startApp();
    proc = spawn(process.execPath, ["--import", "tsx", "packages/lsp/src/stdio.ts"], { cwd: ROOT, env: { ...process.env, GHOSTLINE_URL: "http://127.0.0.1:1" } });
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    conn.listen();
  });
  afterAll(async () => {
    conn?.dispose();
    proc?.kill();
    await app?.close();
  });

  it("initializes with inline completion, completion and incremental sync (server URL from initializationOptions)", async () => {
    const result = await conn.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: { serverUrl: app.url, telemetry: "metrics" },
    });
    expect(result.capabilities.inlineCompletionProvider).toBe(true);
    expect(result.capabilities.completionProvider).toBeTruthy();
    expect(result.capabilities.textDocumentSync).toMatchObject({ change: 2, openClose: true });
    await conn.sendNotification("initialized", {});
    await conn.sendNotification("textDocument/didOpen", { textDocument: { uri: URI, languageId: "typescript", version: 0, text: TEXT } });
  });

  it("answers textDocument/inlineCompletion at the cursor after incremental changes", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 1 },
      contentChanges: [{ range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, text: "retu" }],
    });
    const position = { line: 1, character: 6 };
    let res: InlineItems = { items: [] };
    for (let i = 0; i < 50 && res.items.length === 0; i++) {
      res = await conn.sendRequest<InlineItems>("textDocument/inlineCompletion", { textDocument: { uri: URI }, position, context: { triggerKind: 1 } });
      if (res.items.length === 0) await new Promise((r) => setTimeout(r, 100)); // the socket may still be connecting
    }
    expect(res.items[0]?.insertText, stderr).toBe("rn a + b;");
    expect(res.items[0]?.range.start).toEqual(position);
  });

  it("typing through the suggestion is answered by trimming it", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 6 }, end: { line: 1, character: 6 } }, text: "rn" }],
    });
    const res = await conn.sendRequest<InlineItems>("textDocument/inlineCompletion", { textDocument: { uri: URI }, position: { line: 1, character: 8 }, context: { triggerKind: 2 } });
    expect(res.items[0]?.insertText).toBe(" a + b;");
    await conn.sendNotification("ghostline/accepted", { uri: URI, text: " a + b;" });
  });

  it("textDocument/completion fallback returns the suggestion as a text edit", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 3 },
      contentChanges: [{ range: { start: { line: 1, character: 8 }, end: { line: 1, character: 8 } }, text: " a + b;\n  const x" }],
    });
    const items = await conn.sendRequest<{ label: string; textEdit: { newText: string } }[]>("textDocument/completion", {
      textDocument: { uri: URI },
      position: { line: 2, character: 9 },
    });
    expect(items[0]?.textEdit.newText).toBe(' = greet("ghost");');
    expect(items[0]?.label).toBe('= greet("ghost");');
  });

  it("$/cancelRequest cancels a pending inline completion without breaking the server", async () => {
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 4 },
      contentChanges: [{ range: { start: { line: 2, character: 9 }, end: { line: 2, character: 9 } }, text: "\n  " }],
    });
    const cts = new CancellationTokenSource();
    const p = conn.sendRequest<InlineItems | null>("textDocument/inlineCompletion", { textDocument: { uri: URI }, position: { line: 3, character: 2 }, context: { triggerKind: 2 } }, cts.token);
    cts.cancel(); // vscode-jsonrpc sends $/cancelRequest
    const outcome = await p.then((r) => ({ ok: r }), (e: { code?: number }) => ({ err: e.code }));
    if ("ok" in outcome) expect(outcome.ok?.items ?? []).toEqual([]);
    else expect(outcome.err).toBe(-32800);
    await conn.sendNotification("ghostline/dismissed", { uri: URI });
    const res = await conn.sendRequest<InlineItems>("textDocument/inlineCompletion", { textDocument: { uri: URI }, position: { line: 3, character: 2 }, context: { triggerKind: 1 } });
    expect(res.items[0]?.insertText).toBe("return `Hello, ${name}!`;\n}");
  });

  it("shuts down and exits with 0", async () => {
    await conn.sendRequest("shutdown");
    const code = new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
    await conn.sendNotification("exit");
    expect(await code).toBe(0);
  });
});
