/**
 * Browser entry of the playground: a Monaco editor whose ghost text comes from the Ghostline server
 * through the client library (WebSocket /v1/stream). Bundled for the browser by `bundle.ts`;
 * Monaco itself is loaded by index.html from /playground/monaco/ (AMD build, no CDN).
 */
import type * as Monaco from "monaco-editor";
import type { FeedbackEvent } from "@ghostline/protocol";
import { GhostlineClient } from "../../client/src/client.js";
import { createEditorSession } from "../../client/src/editor-session.js";
import type { TelemetryLevel } from "../../client/src/feedback.js";
import { streamUrl, webSocketTransport, type WebSocketConstructor } from "../../client/src/transport.js";
import type { GhostSuggestion } from "../../client/src/ghost-text.js";

declare const monaco: typeof Monaco;

const INITIAL = `// Ghostline playground: type and pause; Tab accepts the ghost text.
function fibonacci(n: number): number {
  if (n < 2) return n;
  return fibonacci(n - 1) + fibonacci(n - 2);
}

function greet(name: string) {
  `;

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const telemetrySelect = $("telemetry") as HTMLSelectElement;
const telemetry = (new URLSearchParams(location.search).get("telemetry") ?? "metrics") as TelemetryLevel;
telemetrySelect.value = telemetry;

const client = new GhostlineClient({
  transport: webSocketTransport(streamUrl(location.origin), WebSocket as unknown as WebSocketConstructor),
  clientName: "playground",
  telemetry,
});
telemetrySelect.onchange = () => client.feedback.setUserLevel(telemetrySelect.value as TelemetryLevel);

const events: FeedbackEvent[] = [];
const report = client.reportFeedback.bind(client);
client.reportFeedback = (e) => {
  const kept = report(e);
  if (kept) {
    events.push(e);
    const div = document.createElement("div");
    div.textContent = `${e.type} ${e.completion_id.slice(0, 8)}${e.accepted_chars !== undefined ? ` chars=${e.accepted_chars}` : ""}${e.similarity !== undefined ? ` sim=${e.similarity}` : ""}${e.visible_ms !== undefined ? ` ${Math.round(e.visible_ms)}ms` : ""}`;
    $("events").prepend(div);
  }
  return kept;
};
client.on("connected", () => ($("conn").textContent = "connected"));
client.on("disconnected", () => ($("conn").textContent = "reconnecting…"));
client.connect();

const uri = "file:///playground/demo.ts";
const model = monaco.editor.createModel(INITIAL, "typescript", monaco.Uri.parse(uri));
const editor = monaco.editor.create($("editor"), {
  model,
  theme: "vs-dark",
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 14,
  inlineSuggest: { enabled: true },
  quickSuggestions: false,
  suggestOnTriggerCharacters: false,
  wordBasedSuggestions: "off",
  autoClosingBrackets: "never",
  autoClosingQuotes: "never",
});
editor.setPosition(model.getPositionAt(INITIAL.length));
editor.focus();

const session = createEditorSession({ client, uri, text: model.getValue(), languageId: "typescript", params: { mode: "block" } });
const ghost = session.ghost;
const totals = { suggestions: 0, accepted: 0, partial: 0, dismissed: 0 };
let lastCompletion: string | undefined;

const cursorOffset = (): number => model.getOffsetAt(editor.getPosition()!);
const syncCursor = (): void => session.moveCursor(cursorOffset());

editor.onDidChangeModelContent((e) => {
  client.changeDocument(
    uri,
    e.changes.map((c) => ({
      range: {
        start: { line: c.range.startLineNumber - 1, character: c.range.startColumn - 1 },
        end: { line: c.range.endLineNumber - 1, character: c.range.endColumn - 1 },
      },
      text: c.text,
    })),
  );
  queueMicrotask(syncCursor);
});
editor.onDidChangeCursorPosition(syncCursor);

monaco.languages.registerInlineCompletionsProvider("typescript", {
  provideInlineCompletions(m, position) {
    const c = ghost.current();
    if (!c || m.getOffsetAt(position) !== c.offset) return { items: [] };
    return {
      items: [{ insertText: c.text, range: new monaco.Range(position.lineNumber, position.column, position.lineNumber, position.column) }],
    };
  },
  freeInlineCompletions() {},
});

ghost.onChange((s) => {
  render(s);
  editor.trigger("ghostline", s ? "editor.action.inlineSuggest.trigger" : "editor.action.inlineSuggest.hide", {});
});

/** Inserts accepted text at `offset` and puts the cursor after it. */
function insert(a: { offset: number; text: string }): void {
  const p = model.getPositionAt(a.offset);
  editor.trigger("ghostline", "editor.action.inlineSuggest.hide", {});
  editor.executeEdits("ghostline", [{ range: new monaco.Range(p.lineNumber, p.column, p.lineNumber, p.column), text: a.text, forceMoveMarkers: true }]);
  editor.setPosition(model.getPositionAt(a.offset + a.text.length));
  render(ghost.current());
  if (ghost.current()) editor.trigger("ghostline", "editor.action.inlineSuggest.trigger", {});
}

editor.addCommand(monaco.KeyCode.Tab, () => {
  const a = ghost.acceptAll();
  if (a) {
    totals.accepted++;
    insert(a);
  } else editor.trigger("keyboard", "tab", null);
});
const acceptWord = (): void => {
  const a = ghost.acceptNextWord();
  if (a) {
    totals.partial++;
    insert(a);
  } else editor.trigger("keyboard", "cursorWordEndRight", null);
};
editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.RightArrow, acceptWord);
editor.addCommand(monaco.KeyMod.Alt | monaco.KeyCode.BracketRight, acceptWord);
editor.addCommand(
  monaco.KeyCode.Escape,
  () => {
    if (ghost.current()) totals.dismissed++;
    ghost.dismiss();
  },
  "inlineSuggestionVisible",
);

function row(k: string, v: string | number | undefined): string {
  return `<tr><td>${k}</td><td>${v === undefined ? "–" : String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;")}</td></tr>`;
}
const sum = (r: Record<string, number> | undefined): number => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

function render(s: GhostSuggestion | undefined): void {
  $("state").textContent = ghost.status;
  if (s?.completionId && s.completionId !== lastCompletion) {
    lastCompletion = s.completionId;
    totals.suggestions++;
  }
  if (s) {
    const u = s.usage;
    $("stats").innerHTML = [
      row("completion", s.completionId?.slice(0, 12)),
      row("state", s.state),
      row("first delta (ms)", s.firstDeltaMs),
      row("server total (ms)", u?.timings.total_ms),
      row("prompt tokens", u ? `${u.prompt_tokens} (${u.prompt_tokens_reused} reused)` : undefined),
      row("completion tokens", u?.completion_tokens),
      row("drafted", u?.speculative ? sum(u.speculative.proposed) : 0),
      row("draft accepted", u?.speculative ? sum(u.speculative.accepted) : 0),
      row("tokens / pass", u?.speculative?.tokens_per_pass.toFixed(2)),
      row("typed through (chars)", s.typedChars),
      row("accepted (chars)", s.acceptedChars),
      row("remaining", JSON.stringify(s.text.slice(0, 60))),
    ].join("");
  }
  $("totals").innerHTML = [
    row("suggestions", totals.suggestions),
    row("accepted", totals.accepted),
    row("partial accepts", totals.partial),
    row("dismissed", totals.dismissed),
    row("debounce (ms)", ghost.debounce.delayMs),
    row("feedback events", events.length),
  ].join("");
}
render(undefined);

/** Handles for tests and curious users. */
(window as unknown as Record<string, unknown>).__ghostline = { client, session, editor, monaco, events };
