/**
 * The subset of the `vscode` API the extension uses, as a type. The real module is passed in by
 * extension.ts; tests pass a small fake (VS Code itself cannot be downloaded here).
 */

export interface VPosition {
  line: number;
  character: number;
}
export interface VRange {
  start: VPosition;
  end: VPosition;
}
export interface VTextDocument {
  uri: { toString(): string };
  languageId: string;
  version: number;
  getText(): string;
  offsetAt(position: VPosition): number;
}
export interface VCancellationToken {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}
export interface VDisposable {
  dispose(): void;
}
export interface VInlineCompletionItem {
  insertText: string;
  range?: VRange;
  command?: { title: string; command: string; arguments?: unknown[] };
}
export interface VInlineCompletionItemProvider {
  provideInlineCompletionItems(
    document: VTextDocument,
    position: VPosition,
    context: unknown,
    token: VCancellationToken,
  ): Promise<VInlineCompletionItem[] | undefined>;
  handleDidPartiallyAcceptCompletionItem?(item: VInlineCompletionItem, acceptedLength: number | { acceptedLength: number }): void;
}
export interface VConfiguration {
  get<T>(key: string, defaultValue: T): T;
}

/** What extension.ts needs from `vscode`. */
export interface VscodeLike {
  Range: new (start: VPosition, end: VPosition) => VRange;
  InlineCompletionItem: new (insertText: string, range?: VRange, command?: VInlineCompletionItem["command"]) => VInlineCompletionItem;
  languages: {
    registerInlineCompletionItemProvider(selector: unknown, provider: VInlineCompletionItemProvider): VDisposable;
  };
  workspace: {
    textDocuments: readonly VTextDocument[];
    getConfiguration(section: string): VConfiguration;
    onDidOpenTextDocument(listener: (d: VTextDocument) => void): VDisposable;
    onDidCloseTextDocument(listener: (d: VTextDocument) => void): VDisposable;
    onDidChangeTextDocument(listener: (e: { document: VTextDocument; contentChanges: readonly { range: VRange; text: string }[] }) => void): VDisposable;
    onDidChangeConfiguration(listener: (e: { affectsConfiguration(section: string): boolean }) => void): VDisposable;
  };
  window: {
    activeTextEditor?: { document: VTextDocument; selection: { active: VPosition } };
    showInformationMessage(message: string): unknown;
  };
  commands: {
    registerCommand(command: string, callback: (...args: unknown[]) => unknown): VDisposable;
    executeCommand(command: string, ...args: unknown[]): unknown;
  };
}

/** An extension context (subset). */
export interface VExtensionContext {
  subscriptions: VDisposable[];
}
