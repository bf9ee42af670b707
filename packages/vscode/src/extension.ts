/**
 * VS Code entry point (bundled to out/extension.js by scripts/bundle.mjs; `vscode` stays external).
 */
import WebSocket from "ws";
import * as vscodeModule from "vscode";
import { streamUrl, webSocketTransport, type WebSocketConstructor } from "../../client/src/transport.js";
import { GhostlineExtension } from "./ghostline-extension.js";
import type { VExtensionContext, VscodeLike } from "./vscode-api.js";

let instance: GhostlineExtension | undefined;

/** Called by VS Code on activation. */
export function activate(context: VExtensionContext): void {
  const vscode = vscodeModule as VscodeLike;
  instance = new GhostlineExtension(vscode, context, (s) =>
    webSocketTransport(streamUrl(s.serverUrl, s.apiKey || undefined), WebSocket as unknown as WebSocketConstructor),
  );
}

/** Called by VS Code on deactivation. */
export function deactivate(): void {
  instance?.dispose();
  instance = undefined;
}
