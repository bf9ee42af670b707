/**
 * @ghostline/client — the IDE client library: a WebSocket session to a Ghostline server with
 * document sync, streamed completions and cancellation, adaptive debounce, a ghost-text state
 * machine with typing-through and partial accept, feedback events gated by the telemetry level,
 * and a retention tracker. Browser-safe (no Node imports); `./node` adds the `ws` transport.
 */
export { GhostlineClient, type GhostlineClientOptions, type CompletionResult, type CompletionTarget, type CompletionParams } from "./client.js";
export { GhostTextController, type GhostState, type GhostSuggestion, type EditorSnapshot, type CompletionSource, type GhostTextOptions } from "./ghost-text.js";
export { AdaptiveDebounce, type AdaptiveDebounceOptions } from "./debounce.js";
export { DocumentStore, applyChanges, offsetAt, positionAt, type ContentChange, type OffsetEdit, type SyncedDocument } from "./documents.js";
export { FeedbackReporter, minLevel, type TelemetryLevel, type FeedbackReporterOptions } from "./feedback.js";
export { RetentionTracker, RETENTION_INTERVALS_S, type RetentionTrackerOptions } from "./retention.js";
export { retainedSimilarity, bestSubstringMatch } from "./similarity.js";
export { nextWordLength, nextLineLength } from "./partial-accept.js";
export { backoffDelay, type BackoffOptions } from "./backoff.js";
export { systemClock, FakeClock, type Clock, type TimerHandle } from "./clock.js";
export { webSocketTransport, streamUrl, type Transport, type TransportFactory, type TransportHandlers, type WebSocketConstructor, type WebSocketLike } from "./transport.js";
export { FakeTransport, FakeSocket } from "./fake-transport.js";
export { createEditorSession, type EditorSession, type EditorSessionOptions } from "./editor-session.js";
